// "The latest Node.js runtime" of the seed's homework: http.createServer, Hello, <body>.
const http = require("http");
const port = process.env.FC_CUSTOM_LISTEN_PORT || process.env.FC_SERVER_PORT || process.env.PORT || 9000;
http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      res.end(Buffer.concat([Buffer.from("Hello, "), ...chunks]));
    });
  })
  .listen(port, "0.0.0.0");
