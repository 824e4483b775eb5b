// The seed's TypeScript runtime, run by ts-node: Hello, <body> on port 9000.
import * as http from "http";

const port = Number(process.env.FC_CUSTOM_LISTEN_PORT || process.env.FC_SERVER_PORT || process.env.PORT || 9000);

const server = http.createServer((req: http.IncomingMessage, res: http.ServerResponse) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    res.end(Buffer.concat([Buffer.from("Hello, "), ...chunks]));
  });
});

server.listen(port, "0.0.0.0");
