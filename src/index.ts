/**
 * kmem: a kernel memory-management stack — bitmap, PMM, VMM over an architecture mapper,
 * simulated RAM, x86 page tables and MMU, and boot from a memory profile. Runs in Node and in
 * browsers (no Node module is imported).
 *
 * @example
 * import { DEFAULT_PROFILE, boot, selfCheck } from "kmem";
 * const machine = boot(DEFAULT_PROFILE);
 * selfCheck(machine).ok; // true
 *
 * @module kmem
 */

// Shared value types and address formatting.
export { BLOCK_SIZE } from "./types.js";
export type { Address, Attributes, ByteStore, Range } from "./types.js";
export { MAX_ECHO_CHARS, actionText, describeValue, hex, hexRange, jsonAddress } from "./format.js";
export type { ActionText } from "./format.js";
export { mulberry32 } from "./random.js";
export { ADDRESS_LIMIT_64, codecFor, parseAddress } from "./address.js";
export type { AddressCodec } from "./address.js";

// Errors: one class per layer, each with a stable `code` and a `data` object.
export { KmemError } from "./errors/kmem-error.js";
export { BitmapError } from "./errors/bitmap-error.js";
export type { BitmapErrorCode } from "./errors/bitmap-error.js";
export { PmmError } from "./errors/pmm-error.js";
export type { PmmErrorCode } from "./errors/pmm-error.js";
export { VmmError } from "./errors/vmm-error.js";
export type { VmmErrorCode } from "./errors/vmm-error.js";
export { MapperError } from "./errors/mapper-error.js";
export type { MapperErrorCode } from "./errors/mapper-error.js";

// The architecture boundary between the VMM and page tables.
export type { FrameAllocator, Mapper } from "./mapper.js";

// Bits: a bitmap with a summary tree for O(log n) free-run searches.
export { Bitmap, MAX_BITMAP_ENTRIES } from "./bitmap.js";

// Block-level allocation policies behind the VMM and the PMM.
export type { FragmentationStats, FramePolicy, VirtualAllocator } from "./alloc/policy.js";
export { BitmapAllocator } from "./alloc/bitmap-allocator.js";
export { ExtentAllocator, MAX_EXTENT_BLOCKS } from "./alloc/extent-tree.js";
export { LowestFirstFrames } from "./alloc/lowest-first.js";
export { BuddyFrames, DEFAULT_MAX_ORDER } from "./alloc/buddy.js";
export type { BuddyOptions } from "./alloc/buddy.js";
export type { BuddyOrderStats, BuddyStats } from "./alloc/buddy-stats.js";
export type { FramePolicyName, VirtualAllocatorName } from "./alloc/policies.js";

// Physical blocks.
export { PhysicalMemoryManager, PhysicalMemoryManagerImpl } from "./pmm.js";
export type { PhysicalMemoryManagerConstructor, PhysicalMemoryOptions } from "./pmm.js";
export { ReservedBlocks } from "./reserved-blocks.js";

// Virtual regions over a Mapper.
export { VirtualMemoryManager, VirtualMemoryManagerImpl } from "./vmm.js";
export type { Allocation, AllocOptions, AnyPhysicalMemoryManager, CopyDirection, VirtualMemoryManagerConstructor, VirtualMemoryOptions } from "./vmm.js";

// Simulated physical memory (little-endian, bounds-checked).
export { PhysicalMemory } from "./ram.js";
export { MemoryError } from "./errors/memory-error.js";
export type { MemoryErrorCode } from "./errors/memory-error.js";

// x86 32-bit paging and MMU (also available alone as `kmem/x86`).
export { Mmu, PageFault, X86Paging, decodeEntry, encodePte, formatEntryFlags } from "./arch/x86/index.js";
export type { Access, DecodedEntry, FaultReason, MmuOptions, WalkResult, X86Mapping, X86PagingOptions } from "./arch/x86/index.js";

// Every paging mode: the physical bus, the walk engine, TLB, faults, the generic table mapper
// (also `kmem/paging`), and the x86 long-mode/PAE and RISC-V modes (`kmem/x86`, `kmem/riscv`).
export type { PhysicalBus } from "./bus.js";
export {
  GEOMETRIES,
  KIND_FETCH,
  KIND_READ,
  KIND_USER,
  KIND_WRITE,
  MODE_NAMES,
  PagingMmu,
  TableMapper,
  TranslationFault,
  accessKind,
  listMappings,
} from "./paging/index.js";
export type { Geometry, MmuHooks, ModeName, PageMapping, TableMapperOptions, TlbProbe, TranslationFaultCode, WalkExplanation } from "./paging/index.js";
export { CR0_PG, CR0_WP, CR4_LA57, CR4_PAE, CR4_PGE, CR4_PSE, CpuStateError, EFER_LME, EFER_NXE, X86Mmu, x86Codec } from "./arch/x86/index.js";
export type { CpuStateErrorData, X86CpuState, X86MmuOptions } from "./arch/x86/index.js";
export { RiscvMmu, RiscvStateError, SSTATUS_MXR, SSTATUS_SUM, riscvCodec } from "./arch/riscv/index.js";
export { entryCodecFor } from "./arch/entry-codec-for.js";
export type { RiscvCpuState, RiscvMmuOptions, RiscvStateErrorData } from "./arch/riscv/index.js";

// Boot: memory profiles, the kernel address space they describe, the self-check, export.
export {
  BootFrameAllocator,
  DEFAULT_PROFILE,
  EARLY_ALLOC_BYTES,
  KERNEL_VMM_END,
  KERNEL_VMM_START,
  MAX_REPORTED_FAILURES,
  ProfileError,
  boot,
  describeMachine,
  exportMachine,
  parseProfile,
  parseProfileJson,
  planLayout,
  selfCheck,
} from "./boot/index.js";
export type {
  BootLayout,
  BootModule,
  BootOptions,
  ExportedMachine,
  KernelImage,
  Machine,
  MachineDescription,
  MachineExport,
  MemoryMapEntry,
  MemoryProfile,
  MemoryType,
  PlannedMapping,
  ProfileErrorCode,
  ProfileErrorData,
  Region,
  SelfCheckFailure,
  SelfCheckProblem,
  SelfCheckReport,
  VirtualReservation,
} from "./boot/index.js";
export { PAGING_MODES, bootMode, describeModeMachine, exportModeMachine, planModeLayout, profileArch, readModeProfile, selfCheckMode } from "./boot/index.js";
export { RamWindow } from "./boot/index.js";
export type {
  DirectMap,
  ExportedModeMachine,
  JsonVirtual,
  KernelSpace,
  ModeBootOptions,
  ModeFailureJson,
  ModeKernelImage,
  ModeLayout,
  ModeMachine,
  ModeMachineDescription,
  ModeMachineExport,
  ModeMapping,
  ModePmmJson,
  ModeProfile,
  ModeRegion,
  ModeRegionJson,
  ModeRegisters,
  ModeReservation,
  ModeSelfCheckFailure,
  ModeSelfCheckJson,
  ModeSelfCheckReport,
  ModeSpec,
  ModeVmmJson,
  NarrowKernelSpace,
  PagingModeName,
  RiscvRegisters,
  WideKernelSpace,
  RegistersJson,
} from "./boot/index.js";

// Page replacement (FIFO, exact LRU, Clock, OPT) for swap systems and exercises.
export { ClockPolicy, FifoPolicy, LruPolicy, OptimalPolicy, REPLACEMENT_POLICIES, createReplacementPolicy } from "./process/replacement.js";
export type { ReferenceBits, ReplacementOptions, ReplacementPolicy, ReplacementPolicyName } from "./process/replacement.js";
export { ReplacementError } from "./errors/replacement-error.js";
export type { ReplacementErrorCode } from "./errors/replacement-error.js";

// Processes: address spaces sharing the kernel half, ELF loading, demand paging, copy-on-write
// fork, swap, and a driver that runs user accesses through the MMU with the OS behind it.
export { AddressSpace } from "./process/address-space.js";
export type { LazyOptions, MapOptions, ResidentPage, SpaceRegion } from "./process/space-types.js";
export { holdsRoot, invalidatePage, loadRoot } from "./process/context-switch.js";
export type { AnyMmu } from "./process/context-switch.js";
export { isWideKernelHalf, kernelHalf, kernelHalfOf, kernelHalfOfMode, x86PagingRoots } from "./process/kernel-half.js";
export type { KernelHalf, KernelHalfOptions, ProcessMemory, RootMapper } from "./process/kernel-half.js";
export { KERNEL_IMAGE_BASE, tableMachine } from "./process/machines.js";
export type { TableMachine, TableMachineMode, TableMachineOptions } from "./process/machines.js";
export { EM_386, EM_RISCV, EM_X86_64, ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_LOAD, parseElf } from "./process/elf.js";
export type { ElfImage, ElfSegment } from "./process/elf.js";
export { ELF_TARGETS, defaultModeOfElf, describeElfTarget, runsElf } from "./process/elf-modes.js";
export type { ElfTarget } from "./process/elf-modes.js";
export { loadElf } from "./process/loader.js";
export type { LoadElfOptions, LoadedElf, LoadedSegment } from "./process/loader.js";
export type { AccessOp, FaultCounters, FaultOutcome, ResolvedFault, Segfault, SwapOptions } from "./process/user-pages.js";
export type { Backing, Paging, UserRegion } from "./process/regions.js";
export { SwapPool } from "./process/swap-pool.js";
export type { SwapMember, SwapPoolOptions } from "./process/swap-pool.js";
export { translateAudited } from "./process/tlb-audit.js";
export type { AuditedTranslation, StaleTranslation } from "./process/tlb-audit.js";
export { FrameRefs, frameRefsOf } from "./process/frame-refs.js";
export { SwapDevice } from "./process/swap.js";
export { AccessedBits } from "./process/accessed-bits.js";
export { LeafEntries } from "./process/leaf-entries.js";
export { AccessDriver } from "./process/access-driver.js";
export type { AccessRecord, UserAccess } from "./process/access-driver.js";
export { SCRIPT_SYNOPSES, parseScript } from "./process/script.js";
export type { AccessCommand, DuplicateCommand, ExitCommand, GuardCommand, LoadCommand, MapCommand, ProtectCommand, ScriptCommand, ScriptLineBase, ScriptRights, SpawnCommand, SwapCommand, SwapScope, UnmapCommand } from "./process/script.js";
export { DEFAULT_SWAP_SLOTS, runScript } from "./process/script-run.js";
export type { RunScriptOptions, ScriptMachine } from "./process/script-run.js";
export type { AccessDetail, CreatedDetail, DoneDetail, LineDetail, LineResult, PmmCheck, RangeDetail, RefusedDetail, ScriptRun, SharedFrame, SkippedDetail, TaskPage, TaskRegion, TaskSummary } from "./process/script-results.js";
export { ElfError } from "./errors/elf-error.js";
export type { ElfErrorCode } from "./errors/elf-error.js";
export { ProcessError } from "./errors/process-error.js";
export type { ProcessErrorCode } from "./errors/process-error.js";
export { ScriptError } from "./errors/script-error.js";
export type { ScriptErrorCode, ScriptErrorData } from "./errors/script-error.js";

// Exercises with answers, from a seed (`kmem quiz`, docs/teaching.md).
export { QuizError } from "./errors/quiz-error.js";
export type { QuizErrorCode } from "./errors/quiz-error.js";
export { Chooser } from "./quiz/choice.js";
export { QUIZ_ARCHES, resolveQuizArch } from "./quiz/translate/arches.js";
export type { QuizAccess, QuizArch, QuizFault, QuizMachine, QuizTable, QuizWalk, QuizWalkStep } from "./quiz/translate/arch.js";
export { generateTranslateExercise } from "./quiz/translate/generate.js";
export type { QuestionKind, QuizRegion, TranslateExercise, TranslateQuestion, TranslateQuizOptions } from "./quiz/translate/generate.js";
export { renderTranslateExercise } from "./quiz/translate/render.js";
export { translateJson } from "./quiz/translate/json.js";
export type { TranslateJson, TranslateJsonAnswer, TranslateJsonEntry, TranslateJsonQuestion, TranslateJsonRegion, TranslateJsonStep, TranslateJsonTable } from "./quiz/translate/json.js";
export { checkTranslateAnswer, parseTranslateAnswer } from "./quiz/translate/answer.js";
export type { AnswerVerdict, FaultAnswer, PhysicalAnswer, TranslateAnswer } from "./quiz/translate/answer.js";
export { runReplacement } from "./quiz/replacement-run.js";
export type { ReplacementRun, ReplacementStep } from "./quiz/replacement-run.js";
export { generatePolicyExercise, policyJson, renderPolicyExercise } from "./quiz/policy.js";
export type { PolicyExercise, PolicyQuizOptions } from "./quiz/policy.js";
export { NullMapper, allocJson, generateAllocExercise, renderAllocExercise } from "./quiz/alloc.js";
export type { AllocExercise, AllocRequestStep, AllocStep, FreeRequestStep } from "./quiz/alloc.js";

// Traces: the format, a recorder wrapping a VMM, replay and comparison, workloads, strace import.
export { TRACE_OPS, TRACE_VERSION, formatTrace, parseTrace, readTraceAddress, traceAddress } from "./trace/format.js";
export type { AllocEvent, FreeEvent, MapEvent, ProtectEvent, SetEvent, TouchAccess, TouchEvent, Trace, TraceArch, TraceEvent, TraceHeader, UnmapEvent } from "./trace/format.js";
export { TraceError } from "./errors/trace-error.js";
export type { TraceErrorData } from "./errors/trace-error.js";
export { TraceRecorder } from "./trace/recorder.js";
export type { TraceRecorderOptions } from "./trace/recorder.js";
export { compare, replay } from "./trace/replay.js";
export type { PeakAndFinal, ReplayOptions, ReplayResult, ReplaySample } from "./trace/replay.js";
export { replayTarget } from "./trace/target.js";
export type { MapperCalls, ReplayConfig, ReplayTarget } from "./trace/target.js";
export { policyName, renderReplayHtml } from "./trace/report-html.js";
export { LIFETIMES, SCENARIOS, SIZE_DISTRIBUTIONS, VMALLOC_SCENARIOS, generateTrace } from "./trace/workloads.js";
export type { GenerateOptions } from "./trace/workloads.js";
export { importStrace } from "./trace/strace.js";
export type { StraceImport, StraceImportOptions, StracePlacement } from "./trace/strace.js";
