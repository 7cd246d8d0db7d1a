// Bundles the browser page (view/) into one self-contained HTML template: dist/view/index.html.
// The CLI (`kmem view`) fills in the machine's profile at serve time or when writing --static.
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";

const root = new URL("../", import.meta.url);
const out = new URL("dist/view/index.html", root);

const result = await build({
  entryPoints: [new URL("view/main.ts", root).pathname],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  minify: true,
  charset: "utf8",
  legalComments: "none",
  write: false,
  logLevel: "warning",
});
const [bundle] = result.outputFiles;
if (bundle === undefined) {
  throw new Error("esbuild produced no output for view/main.ts");
}
// Inside an inline <script>, "</script" would end the element early; "<\/script" means the same to JS.
const script = bundle.text.replace(/<\/script/gi, "<\\/script");
const style = await readFile(new URL("view/style.css", root), "utf8");
const template = await readFile(new URL("view/index.html", root), "utf8");
const html = template.replace("/*KMEM_STYLE*/", () => style).replace("/*KMEM_SCRIPT*/", () => script);
await mkdir(new URL("./", out), { recursive: true });
await writeFile(out, html);
console.log(`build-view: ${out.pathname} (${Math.round(html.length / 1024)} KiB)`);
