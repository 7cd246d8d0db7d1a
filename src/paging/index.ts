// What every paging mode shares (also available alone as `kmem/paging`).

// Geometry of every mode.
export { GEOMETRIES, MODE_NAMES, PAGE_BYTES, PAGE_SHIFT, isModeName, levelShift, levelSpan, tableEntries } from "./geometry.js";
export type { Geometry, ModeName } from "./geometry.js";

// Access kinds and fault reasons.
export { ALL_KINDS, KIND_COUNT, KIND_FETCH, KIND_READ, KIND_USER, KIND_WRITE, REASON, accessKind, describeReason, isUserKind, kindOperation, reasonName } from "./access.js";
export type { Access as PagingAccess, FaultReasonName } from "./access.js";

// Mode descriptions: walk rules and entry codecs.
export { ENTRY_LEAF, ENTRY_TABLE, RIGHTS_GLOBAL, foldTableRights, tableAddressOf } from "./mode.js";
export type { EntryCodec, EntryWords, LeafAttributes, PagingRules } from "./mode.js";

// Addresses in 64-bit modes: halves, canonical form.
export { isCanonical, joinAddress, splitAddress } from "./address.js";

// The walk engine, TLB and faults.
export { PagingMmu, indexAt, offsetWithin } from "./mmu.js";
export type { MmuHooks, PagingMmuOptions, TlbProbe, WalkExplanation, WalkStep } from "./mmu.js";
export { PagingTlb } from "./tlb.js";
export { TranslationFault } from "./fault.js";
export type { TranslationFaultCode, TranslationFaultData } from "./fault.js";

// The generic mapper and mapping enumeration.
export { TableMapper } from "./table-mapper.js";
export type { TableMapperOptions } from "./table-mapper.js";
export { listMappings } from "./mappings.js";
export type { PageMapping } from "./mappings.js";
export { toPageRange, toPhysicalPage, virtualAddressOf } from "./pages.js";
export type { PageRange } from "./pages.js";
