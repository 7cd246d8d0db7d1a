import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { startViewServer, VIEW_HOST } from "../../src/node/view-server.js";
import { renderViewPage, VIEW_DATA_PLACEHOLDER } from "../../src/node/view-bundle.js";

const PAGE = "<!doctype html><title>t</title><p>kmem</p>";

describe("startViewServer", () => {
  test("serves the page at / on 127.0.0.1 and answers 404 elsewhere and 405 to POST", async () => {
    const server = await startViewServer(PAGE, { port: 0 });
    try {
      assert.equal(server.url, `http://${VIEW_HOST}:${server.port}/`);
      const page = await fetch(server.url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(await page.text(), PAGE);
      assert.equal((await fetch(`${server.url}favicon.ico`)).status, 404);
      assert.equal((await fetch(server.url, { method: "POST" })).status, 405);
    } finally {
      await server.close();
    }
  });

  test("rejects with EADDRINUSE when the port is taken", async () => {
    const first = await startViewServer(PAGE, { port: 0 });
    try {
      await assert.rejects(startViewServer(PAGE, { port: first.port }), { code: "EADDRINUSE" });
    } finally {
      await first.close();
    }
  });
});

describe("renderViewPage", () => {
  test("embeds the data as JSON that cannot close its script element", () => {
    const template = `<script type="application/json" id="kmem-data">${VIEW_DATA_PLACEHOLDER}</script>`;
    const html = renderViewPage(template, { profile: { memoryBytes: 4096 }, source: "</script><b>x $& $1", largePages: false });
    assert.equal(html.match(/<\/script>/g)?.length, 1);
    const json = html.slice(html.indexOf(">") + 1, html.lastIndexOf("</script>"));
    assert.deepEqual(JSON.parse(json), { profile: { memoryBytes: 4096 }, source: "</script><b>x $& $1", largePages: false });
  });

  test("refuses a template without the data placeholder", () => {
    assert.throws(() => renderViewPage("<html></html>", { profile: null, source: "x", largePages: false }), /lacks/);
  });
});
