/**
 * kmem/inspect: read, explain and audit the page tables of a machine from its memory dump
 * (a QEMU `dump-guest-memory` ELF core or a raw image), in bounded memory.
 *
 * @module kmem/inspect
 */
export { DumpError } from "./dump-error.js";
export type { DumpErrorCode } from "./dump-error.js";
export { bytesSource } from "./source.js";
export type { ByteSource } from "./source.js";
export { ELF_MACHINE, isElf, readCoreHeaders } from "./elf-core.js";
export type { CoreFile, MemorySegment, QemuX86State } from "./elf-core.js";
export { DEFAULT_CACHE_PAGES, DumpMemory } from "./dump-memory.js";
export type { DumpMemoryOptions } from "./dump-memory.js";
export { rightsOfKinds } from "./inspect-mode.js";
export type { EntryDetails, InspectMode, Rights } from "./inspect-mode.js";
export { x86InspectMode } from "./x86-inspect.js";
export type { X86InspectOptions } from "./x86-inspect.js";
export { riscvInspectMode } from "./riscv-inspect.js";
export type { RiscvInspectOptions } from "./riscv-inspect.js";
export { inspectModeFor, resolveTarget } from "./machine.js";
export type { InspectTarget, MachineOverrides } from "./machine.js";
export { scanTables } from "./scan.js";
export type { Leaf, Scan, ScanOptions } from "./scan.js";
export type { Finding, FindingKind } from "./finding.js";
export { auditLeaves, auditSummary, kernelFirstPage } from "./audit.js";
export { regionsOf } from "./regions.js";
export type { Region } from "./regions.js";
export { renderMap, runsOf, sizeText, toJson, virtualEndText, virtualText, physicalText } from "./render.js";
export type { InspectJson, JsonFinding, JsonMapping, Run } from "./render.js";
export { renderTrace, traceAddress } from "./translate.js";
export type { Trace, TraceStep } from "./translate.js";
export { inspectTables } from "./inspect.js";
export type { Inspection, InspectOptions } from "./inspect.js";
