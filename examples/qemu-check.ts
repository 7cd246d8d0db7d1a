import { DEFAULT_PROFILE } from "kmem";
import { checkProfileWithQemu } from "kmem/node";   // Node only

const result = await checkProfileWithQemu(DEFAULT_PROFILE, { random: { count: 300, seed: 7 }, largePages: false });
console.log(result.ok, result.pagesCompared, result.differences.length); // true 905 0
console.log(result.probes.count, result.probes.faulted);                 // 887 2297
console.log(result.commandLine.join(" "));                               // qemu-system-i386 -M pc …
