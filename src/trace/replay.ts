import type { FragmentationStats } from "../alloc/policy.js";
import { KmemError } from "../errors/kmem-error.js";
import type { Address, Attributes } from "../types.js";
import type { AllocOptions } from "../vmm.js";
import { type Trace, type TraceEvent, readTraceAddress } from "./format.js";
import { type MapperCalls, type ReplayConfig, type ReplayTarget, replayTarget } from "./target.js";

/** How to run a replay, beside the machine ({@link ReplayConfig}). */
export interface ReplayOptions {
  /** About how many timeline samples to take (the last event is always sampled). Default 100. */
  readonly samples?: number;
  /** A clock in milliseconds for ops/s (default `Date.now`; the CLI passes `performance.now`). */
  readonly now?: () => number;
  /** Called after each `alloc` and `map` event with its index and the address the replay got (null: it failed). */
  readonly onPlaced?: (event: number, address: bigint | null) => void;
}

/** The state of the replayed space after an event. */
export interface ReplaySample {
  /** Events replayed so far. */
  readonly event: number;
  /** The VMM's free virtual space. */
  readonly virtual: FragmentationStats;
  /** The PMM's fragmentation index. */
  readonly physicalFragmentation: number;
  /** Paging-structure pages of the space. */
  readonly pageTablePages: number;
  /** Free virtual extents by size: entry `i` counts extents of `[2^i, 2^(i+1))` blocks. */
  readonly freeExtentHistogram: readonly number[];
}

/** What one replay measured (docs/traces.md, "Comparing policies"). */
export interface ReplayResult {
  /** The policies replayed with. */
  readonly config: {
    /** The VMM's allocator. */
    readonly allocator: string;
    /** The PMM's frame policy. */
    readonly pmm: string;
  };
  /** Events replayed. */
  readonly events: number;
  /** Time spent in the events (not in boot or samples). */
  readonly milliseconds: number;
  /** Events per second of that time. */
  readonly opsPerSecond: number;
  /** `alloc` and `map` events. */
  readonly allocs: number;
  /** Allocations that returned null or threw. */
  readonly failedAllocs: number;
  /** Other events that threw (a free of an address the replay never got, …). */
  readonly failedOps: number;
  /** The VMM's fragmentation index, highest over the samples and at the end. */
  readonly fragmentation: PeakAndFinal;
  /** The PMM's fragmentation index, highest over the samples and at the end. */
  readonly physicalFragmentation: PeakAndFinal;
  /** Paging-structure pages of the replayed space, most over the samples and at the end. */
  readonly pageTablePages: PeakAndFinal;
  /** Calls the VMM made to its mapper. */
  readonly mapperCalls: Readonly<MapperCalls>;
  /** `touch` events. */
  readonly touches: number;
  /** Touches that page-faulted (or named no address of the space). */
  readonly faults: number;
  /** TLB hits / touches, or null when the trace has no touches. */
  readonly tlbHitRate: number | null;
  /** FNV-1a of every address the replay's allocations returned, in order: equal digests, equal placements. */
  readonly addressDigest: string;
  /** The samples, in order, the start first. */
  readonly timeline: readonly ReplaySample[];
}

/** A figure's highest value over the samples and its value at the end. */
export interface PeakAndFinal {
  /** The highest sampled value. */
  readonly peak: number;
  /** The value after the last event. */
  readonly final: number;
}

/** A live allocation of the replay, keyed by the address the trace recorded. */
interface Region {
  /** Where it is in the replayed space. */
  readonly replayed: bigint;
  readonly size: bigint;
  readonly attrs: Attributes;
  /** For a `set`: its physical start, or null (reserved, not mapped); undefined for an allocation. */
  readonly physical: bigint | null | undefined;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Replays `trace` on a fresh machine built from `config` and measures it. Deterministic: no
 * randomness, so the same trace and configuration give the same addresses (`addressDigest`).
 *
 * Addresses in the trace are the recorded ones. An allocation without `at` goes where the
 * replay's allocator puts it; later events that name an address inside it (`free`, `touch`,
 * `unmap`, …) are moved by the same offset. `unmap` and `protect` of part of an allocation
 * free it and allocate the parts that remain (and, for `protect`, the part itself with the new
 * attributes) at the same virtual addresses. O(events × live regions) for `map`, `unmap`,
 * `protect` and touches inside (not at the start of) an allocation; O(1) per other event
 * beyond the VMM's own cost.
 *
 * @throws {ProfileError} when the profile does not boot.
 * @example
 * const result = replay(parseTrace(text), { allocator: "extent", pmm: "buddy" });
 * result.failedAllocs; // 0
 */
export function replay(trace: Trace, config: ReplayConfig, options: ReplayOptions = {}): ReplayResult {
  const target = replayTarget(trace.header, config);
  return run(trace, config, target as ReplayTarget<Address>, options);
}

function run<A extends Address>(trace: Trace, config: ReplayConfig, target: ReplayTarget<A>, options: ReplayOptions): ReplayResult {
  const now = options.now ?? Date.now;
  const { vmm } = target;
  const blockSize = BigInt(vmm.blockSize);
  const space = { start: BigInt(vmm.start), end: BigInt(vmm.end) };
  const regions = new Map<bigint, Region>();
  const events = trace.events;
  const interval = Math.max(1, Math.ceil(events.length / Math.max(1, options.samples ?? 100)));
  const timeline: ReplaySample[] = [];
  let allocs = 0;
  let failedAllocs = 0;
  let failedOps = 0;
  let touches = 0;
  let faults = 0;
  let digest = FNV_OFFSET;
  const missesBefore = target.tlbMisses();

  const mix = (text: string): void => {
    for (let i = 0; i < text.length; i++) digest = Math.imul(digest ^ text.charCodeAt(i), FNV_PRIME) >>> 0;
  };
  const containing = (address: bigint): [bigint, Region] | null => {
    const exact = regions.get(address);
    if (exact !== undefined) return [address, exact];
    for (const entry of regions) if (address >= entry[0] && address < entry[0] + entry[1].size) return entry;
    return null;
  };
  const translate = (address: bigint): bigint => {
    const found = containing(address);
    return found === null ? address : found[1].replayed + (address - found[0]);
  };
  /** Creates a region in the VMM at its replayed place; false when the VMM refused. */
  const place = (key: bigint, region: Region): boolean => {
    try {
      const at = target.address(region.replayed);
      if (region.physical === undefined) {
        if (vmm.alloc(Number(region.size / blockSize), region.attrs, { at }) === null) return false;
      } else {
        const physical = region.physical === null ? null : { start: target.address(region.physical), end: target.address(region.physical + region.size) };
        vmm.set({ start: at, end: target.address(region.replayed + region.size) }, physical, region.attrs);
      }
    } catch (error) {
      if (error instanceof KmemError) return false;
      throw error;
    }
    regions.set(key, region);
    return true;
  };
  const release = (key: bigint, region: Region): void => {
    vmm.free(target.address(region.replayed));
    target.invalidate(target.address(region.replayed), target.address(region.replayed + region.size));
    regions.delete(key);
  };
  /** Frees every region overlapping recorded `[start, end)` and re-creates what lies outside it; the pieces inside, for `protect`. */
  const carve = (start: bigint, end: bigint): Array<[bigint, Region]> => {
    const inside: Array<[bigint, Region]> = [];
    for (const [key, region] of [...regions]) {
      const regionEnd = key + region.size;
      if (regionEnd <= start || key >= end) continue;
      release(key, region);
      const from = start > key ? start : key;
      const to = end < regionEnd ? end : regionEnd;
      const piece = (at: bigint, size: bigint): Region => ({
        replayed: region.replayed + (at - key),
        size,
        attrs: region.attrs,
        physical: region.physical === undefined || region.physical === null ? region.physical : region.physical + (at - key),
      });
      if (from > key) place(key, piece(key, from - key));
      if (to < regionEnd) place(to, piece(to, regionEnd - to));
      inside.push([from, piece(from, to - from)]);
    }
    return inside;
  };

  const perform = (event: TraceEvent, index: number): void => {
    switch (event.op) {
      case "alloc": {
        allocs++;
        const request: { at?: A; align?: bigint } = {};
        if (event.at !== undefined) request.at = target.address(readTraceAddress(event.at));
        if (event.align !== undefined) request.align = readTraceAddress(event.align);
        let result: A | null = null;
        try {
          result = vmm.alloc(event.size / vmm.blockSize, event.attrs, request as AllocOptions<A>);
        } catch (error) {
          if (!(error instanceof KmemError)) throw error;
        }
        mix(result === null ? "-" : result.toString(16));
        options.onPlaced?.(index, result === null ? null : BigInt(result));
        if (result === null) {
          failedAllocs++;
          return;
        }
        const replayed = BigInt(result);
        const key = event.result !== undefined && event.result !== null ? readTraceAddress(event.result) : event.at !== undefined ? readTraceAddress(event.at) : replayed;
        regions.set(key, { replayed, size: BigInt(event.size), attrs: event.attrs, physical: undefined });
        return;
      }
      case "free": {
        const key = readTraceAddress(event.address);
        const region = regions.get(key);
        if (region === undefined) {
          failedOps++;
          return;
        }
        release(key, region);
        return;
      }
      case "set": {
        const address = readTraceAddress(event.address);
        const region: Region = { replayed: address, size: BigInt(event.size), attrs: event.attrs, physical: event.physical === null ? null : readTraceAddress(event.physical) };
        if (!place(address, region)) failedOps++;
        return;
      }
      case "map": {
        allocs++;
        const address = readTraceAddress(event.address);
        const replayed = translate(address);
        carve(address, address + BigInt(event.size));
        const placed = place(address, { replayed, size: BigInt(event.size), attrs: event.attrs, physical: event.none === true ? null : undefined });
        if (!placed) failedAllocs++;
        mix(placed ? replayed.toString(16) : "-");
        options.onPlaced?.(index, placed ? replayed : null);
        return;
      }
      case "unmap": {
        const address = readTraceAddress(event.address);
        carve(address, address + BigInt(event.size));
        return;
      }
      case "protect": {
        const address = readTraceAddress(event.address);
        for (const [key, piece] of carve(address, address + BigInt(event.size))) {
          // PROT_NONE reserves; access again takes memory (a mapped `set` keeps its physical range).
          const physical = event.none === true ? null : piece.physical === null ? undefined : piece.physical;
          if (!place(key, { ...piece, attrs: event.attrs, physical })) failedOps++;
        }
        return;
      }
      case "touch": {
        touches++;
        const replayed = translate(readTraceAddress(event.address));
        if (replayed < space.start || replayed >= space.end || !target.touch(target.address(replayed), event.access, event.user === true)) faults++;
        return;
      }
    }
  };

  const sample = (event: number): void => {
    timeline.push({
      event,
      virtual: vmm.stats(),
      physicalFragmentation: target.pmm.stats().fragmentationIndex,
      pageTablePages: target.pageTablePages(),
      freeExtentHistogram: freeExtentHistogram(vmm.allocations(), space, blockSize),
    });
  };

  sample(0);
  let milliseconds = 0;
  for (let i = 0; i < events.length;) {
    const stop = Math.min(events.length, i + interval);
    const started = now();
    for (; i < stop; i++) perform(events[i]!, i);
    milliseconds += now() - started;
    sample(i);
  }
  const tlbMisses = target.tlbMisses() - missesBefore;
  const peak = (pick: (s: ReplaySample) => number): PeakAndFinal => ({
    peak: Math.max(...timeline.map(pick)),
    final: pick(timeline[timeline.length - 1]!),
  });
  return {
    config: { allocator: config.allocator, pmm: config.pmm },
    events: events.length,
    milliseconds,
    opsPerSecond: milliseconds > 0 ? (events.length * 1000) / milliseconds : 0,
    allocs,
    failedAllocs,
    failedOps,
    fragmentation: peak((s) => s.virtual.fragmentationIndex),
    physicalFragmentation: peak((s) => s.physicalFragmentation),
    pageTablePages: peak((s) => s.pageTablePages),
    mapperCalls: { ...target.mapperCalls },
    touches,
    faults,
    tlbHitRate: touches === 0 ? null : Math.max(0, touches - tlbMisses) / touches,
    addressDigest: digest.toString(16).padStart(8, "0"),
    timeline,
  };
}

/** Free extents between allocations (in address order) of `space`, counted by log2 of their size in blocks. */
function freeExtentHistogram(allocations: ReadonlyArray<{ readonly virtual: { readonly start: Address; readonly end: Address } }>, space: { start: bigint; end: bigint }, blockSize: bigint): number[] {
  const histogram: number[] = [];
  const count = (from: bigint, to: bigint): void => {
    if (to <= from) return;
    const bucket = ((to - from) / blockSize).toString(2).length - 1;
    while (histogram.length <= bucket) histogram.push(0);
    histogram[bucket]!++;
  };
  let cursor = space.start;
  for (const allocation of allocations) {
    const start = BigInt(allocation.virtual.start);
    count(cursor, start);
    cursor = BigInt(allocation.virtual.end);
  }
  count(cursor, space.end);
  return histogram;
}

/**
 * Replays `trace` once per combination of `allocators` × `pmms`, each on its own fresh machine.
 *
 * @example
 * compare(trace, { allocators: ["bitmap", "extent"], pmms: ["lowest", "buddy"] }).map((r) => r.opsPerSecond);
 */
export function compare(trace: Trace, choices: { readonly allocators: readonly ReplayConfig["allocator"][]; readonly pmms: readonly ReplayConfig["pmm"][]; readonly profile?: ReplayConfig["profile"]; readonly largePages?: boolean }, options: ReplayOptions = {}): ReplayResult[] {
  const results: ReplayResult[] = [];
  for (const allocator of choices.allocators) {
    for (const pmm of choices.pmms) {
      const config: ReplayConfig = { allocator, pmm, ...(choices.profile === undefined ? {} : { profile: choices.profile }), ...(choices.largePages === undefined ? {} : { largePages: choices.largePages }) };
      results.push(replay(trace, config, options));
    }
  }
  return results;
}
