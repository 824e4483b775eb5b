// A WebSocket echo app (the `ws` package, the most used Node WebSocket server): every
// text message is sent back unchanged, on any path. Listens on PORT.
const { WebSocketServer } = require("ws");
const http = require("http");

const server = http.createServer((req, res) => res.end("plain http"));
const wss = new WebSocketServer({ server });
wss.on("connection", (ws, req) => {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.send(`hello ${req.url}`);
});
server.listen(Number(process.env.PORT), "0.0.0.0");
