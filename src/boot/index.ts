// Memory profiles: types, parsing and validation, the built-in default.
export { parseProfile, parseProfileJson } from "./profile.js";
export type { BootModule, KernelImage, MemoryMapEntry, MemoryProfile, MemoryType, VirtualReservation } from "./profile.js";
export { ProfileError } from "./profile-error.js";
export type { ProfileErrorCode, ProfileErrorData } from "./profile-error.js";
export { DEFAULT_PROFILE } from "./default-profile.js";

// What boot derives from a profile before touching memory.
export { EARLY_ALLOC_BYTES, KERNEL_IMAGE_ATTRS, KERNEL_VMM_END, KERNEL_VMM_START, NULL_PAGE, RESERVED_ATTRS, planLayout } from "./layout.js";
export type { BootLayout, PlannedMapping, Region } from "./layout.js";

// Boot, the self-check, and the machine as JSON and files.
export { boot } from "./boot.js";
export type { BootOptions, Machine } from "./boot.js";
export { BootFrameAllocator } from "./boot-frames.js";
export { MAX_REPORTED_FAILURES, selfCheck } from "./self-check.js";
export type { SelfCheckFailure, SelfCheckProblem, SelfCheckReport } from "./self-check.js";
export { describeMachine } from "./describe.js";
export type { MachineDescription } from "./describe.js";
export { exportMachine } from "./export.js";
export type { ExportedMachine, MachineExport } from "./export.js";

// Every other paging mode: profiles naming their `arch`, boot through the mode's table mapper and MMU.
export { MODE_SPECS, PAGING_MODES, isPagingMode } from "./modes.js";
export type { ModeSpec, PagingModeName } from "./modes.js";
export { MODE_MAX_RAM_BYTES, profileArch, readModeProfile, readWideAddress } from "./mode-profile.js";
export type { DirectMap, ModeKernelImage, ModeProfile, ModeReservation } from "./mode-profile.js";
export { DIRECT_MAP_ATTRS, planModeLayout } from "./mode-layout.js";
export type { ModeLayout, ModeMapping, ModeRegion } from "./mode-layout.js";
export { RamWindow } from "./ram-window.js";
export { bootMode, isBlockSet, modeMappings } from "./mode-boot.js";
export type { KernelSpace, ModeBootOptions, ModeMachine, ModeRegisters, NarrowKernelSpace, RiscvRegisters, WideKernelSpace } from "./mode-boot.js";
export { selfCheckMode } from "./mode-check.js";
export type { ModeSelfCheckFailure, ModeSelfCheckReport } from "./mode-check.js";
export { describeModeMachine, exportModeMachine, registersJson } from "./mode-describe.js";
export type {
  ExportedModeMachine,
  JsonVirtual,
  ModeFailureJson,
  ModeMachineDescription,
  ModeMachineExport,
  ModePmmJson,
  ModeRegionJson,
  ModeSelfCheckJson,
  ModeVmmJson,
  RegistersJson,
} from "./mode-describe.js";
