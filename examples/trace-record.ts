import { DEFAULT_PROFILE, TraceRecorder, boot, parseTrace, replay } from "kmem";

const machine = boot(DEFAULT_PROFILE);
const recorder = new TraceRecorder(machine.vmm, { task: 1 });
const attrs = { kernel: true, writable: true, cachable: true };
const at = recorder.alloc(4, attrs);
if (at === null) throw new Error("out of memory");
recorder.touch(at, "write");
recorder.free(at);

const trace = parseTrace(recorder.text());
const result = replay(trace, { allocator: "extent", pmm: "buddy" });
console.log(`${trace.events.length} events; replayed with ${result.failedAllocs} failed allocations, TLB hit rate ${result.tlbHitRate}`);
