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
