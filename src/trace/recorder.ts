import { KmemError } from "../errors/kmem-error.js";
import type { Address, Attributes, Range } from "../types.js";
import type { AllocOptions, VirtualMemoryManager } from "../vmm.js";
import { TRACE_VERSION, type Trace, type TraceEvent, type TraceHeader, type TouchAccess, eventProblem, formatTrace, traceAddress } from "./format.js";

/** Options for {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** Written on every event (a process or thread id). */
  readonly task?: number;
  /** The header's `source`. */
  readonly source?: string;
  /** Called with every event as it is recorded (e.g. to stream it to a file); events are kept too unless `keep` is false. */
  readonly onEvent?: (event: TraceEvent) => void;
  /** Keep events in memory for {@link TraceRecorder.trace}. Default true. */
  readonly keep?: boolean;
}

/** The `code` of a kmem error, or `"Error"` for anything else. */
function errorCode(error: unknown): string {
  return error instanceof KmemError ? error.code : "Error";
}

/**
 * Wraps a VMM and writes every call as a trace event (docs/traces.md), with its result:
 * the address `alloc` returned (or null), or the code of the error a call threw (which is
 * then rethrown). Call the recorder instead of the VMM; the VMM itself is unchanged. A call
 * the VMM refused for arguments a trace cannot hold (a negative or fractional address or
 * count) changed nothing and is not recorded.
 *
 * @example
 * const recorder = new TraceRecorder(vmm);
 * const at = recorder.alloc(4, { kernel: true, writable: true, cachable: true });
 * recorder.touch(at!, "write");
 * recorder.free(at!);
 * writeFileSync("run.jsonl", recorder.text());
 */
export class TraceRecorder<P, A extends Address = number> {
  /** The VMM every call goes to. */
  readonly vmm: VirtualMemoryManager<P, A>;
  /** The trace's first line. */
  readonly header: TraceHeader;
  readonly #events: TraceEvent[] = [];
  readonly #options: TraceRecorderOptions;

  constructor(vmm: VirtualMemoryManager<P, A>, options: TraceRecorderOptions = {}) {
    this.vmm = vmm;
    this.#options = options;
    this.header = {
      kmem: "trace",
      version: TRACE_VERSION,
      arch: typeof vmm.start === "bigint" ? "x86-64" : "x86",
      blockSize: vmm.blockSize,
      space: { start: traceAddress(vmm.start), end: traceAddress(vmm.end) },
      ...(options.source === undefined ? {} : { source: options.source }),
    };
  }

  /** The events recorded so far (empty when `keep` is false). */
  get events(): readonly TraceEvent[] {
    return this.#events;
  }

  /** The whole trace: header and events. */
  trace(): Trace {
    return { header: this.header, events: this.#events };
  }

  /** The trace as JSON Lines. */
  text(): string {
    return formatTrace(this.trace());
  }

  /**
   * Records an event the VMM does not perform itself (a `touch` through an MMU, or `map`,
   * `unmap`, `protect` of an address space), adding the recorder's task.
   */
  record(event: TraceEvent): void {
    const full = this.#options.task === undefined || event.task !== undefined ? event : { ...event, task: this.#options.task };
    if (this.#options.keep !== false) this.#events.push(full);
    this.#options.onEvent?.(full);
  }

  /** `vmm.alloc`, recorded with the address it returned or the error it threw. @throws whatever `vmm.alloc` throws. */
  alloc(numBlocks: number, attrs: Attributes, options?: A | AllocOptions<A>): A | null {
    const request = typeof options === "object" && options !== null ? options : options === undefined ? {} : { at: options };
    const base = {
      op: "alloc" as const,
      size: numBlocks * this.vmm.blockSize,
      attrs,
      ...(request.at === undefined ? {} : { at: traceAddress(request.at) }),
      ...(request.align === undefined ? {} : { align: traceAddress(request.align) }),
    };
    let result: A | null;
    try {
      result = this.vmm.alloc(numBlocks, attrs, options);
    } catch (error) {
      this.#recordFailure({ ...base, error: errorCode(error) });
      throw error;
    }
    this.record({ ...base, result: result === null ? null : traceAddress(result) });
    return result;
  }

  /** `vmm.free`, recorded. @throws whatever `vmm.free` throws. */
  free(vaddr: A): void {
    const event = { op: "free" as const, address: traceAddress(vaddr) };
    this.#call(event, () => this.vmm.free(vaddr));
  }

  /** `vmm.set`, recorded. @throws whatever `vmm.set` throws. */
  set(virtual: Range<A>, physical: Range<A> | null, attrs: Attributes): void {
    const { start, end } = virtual;
    const size = typeof start === "bigint" && typeof end === "bigint" ? Number(end - start) : typeof start === "number" && typeof end === "number" ? end - start : Number.NaN;
    const event = { op: "set" as const, address: traceAddress(virtual.start), size, physical: physical === null ? null : traceAddress(physical.start), attrs };
    this.#call(event, () => this.vmm.set(virtual, physical, attrs));
  }

  /** Records an access to `vaddr` (the VMM has no MMU: replay performs it through one). */
  touch(vaddr: A, access: TouchAccess, user = false): void {
    this.record({ op: "touch", address: traceAddress(vaddr), access, ...(user ? { user } : {}) });
  }

  #call(event: TraceEvent, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#recordFailure({ ...event, error: errorCode(error) });
      throw error;
    }
    this.record(event);
  }

  /** Records a failed call, unless its arguments are not something a trace can hold. */
  #recordFailure(event: TraceEvent): void {
    if (eventProblem(event, this.vmm.blockSize) === null) this.record(event);
  }
}
