import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** The only interface `kmem view` listens on: the page runs kmem in the browser, nothing is exposed. */
export const VIEW_HOST = "127.0.0.1";

const HTTP_OK = 200;
const HTTP_NOT_FOUND = 404;
const HTTP_METHOD_NOT_ALLOWED = 405;
const PAGE_PATHS: ReadonlySet<string> = new Set(["/", "/index.html"]);

/** A running view server. */
export interface ViewServer {
  /** The page's address, e.g. `http://127.0.0.1:4096/`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and resolves once closed. */
  close(): Promise<void>;
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, VIEW_HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/**
 * Serves `html` at `/` on 127.0.0.1:`port` (0 picks a free port).
 *
 * @throws the listen error (e.g. code `EADDRINUSE`) when the port cannot be used.
 * @example
 * const server = await startViewServer(html, { port: 0 });
 * console.log(server.url);
 */
export async function startViewServer(html: string, options: { readonly port: number }): Promise<ViewServer> {
  const body = Buffer.from(html, "utf8");
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", `http://${VIEW_HOST}`).pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(HTTP_METHOD_NOT_ALLOWED, { Allow: "GET, HEAD" }).end();
      return;
    }
    if (!PAGE_PATHS.has(path)) {
      response.writeHead(HTTP_NOT_FOUND, { "Content-Type": "text/plain; charset=utf-8" }).end(`Not found: ${path}\n`);
      return;
    }
    response.writeHead(HTTP_OK, {
      "Content-Type": "text/html; charset=utf-8",
      "Content-Length": body.length,
      "Cache-Control": "no-store",
    });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  await listen(server, options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${VIEW_HOST}:${port}/`,
    port,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
