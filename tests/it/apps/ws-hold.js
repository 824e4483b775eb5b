// A WebSocket client that sends nothing and waits for the server side to end the
// connection: prints "close=<code> after <ms> ms" (1006: ended without a close frame).
const WebSocket = require("ws");

const t = Date.now();
const ws = new WebSocket(process.argv[2]);
const guard = setTimeout(() => {
  console.log("still open after 20 s");
  process.exit(2);
}, 20000);
ws.on("error", (e) => console.log(`error ${e.message}`));
ws.on("close", (code) => {
  clearTimeout(guard);
  console.log(`close=${code} after ${Date.now() - t} ms`);
  process.exit(0);
});
