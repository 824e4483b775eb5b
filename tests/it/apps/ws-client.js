// A WebSocket client (the `ws` package): connects to argv[2], expects the greeting (unless
// argv[4] is "--no-greeting"), sends argv[3] messages and checks each echo, then closes.
// Prints "ok <n> <greeting>".
const WebSocket = require("ws");

const ws = new WebSocket(process.argv[2]);
const n = Number(process.argv[3] || 3);
let greeting = null;
const noGreeting = process.argv[4] === "--no-greeting";
let got = 0;
const timer = setTimeout(() => {
  console.log(`timeout after ${got} echoes`);
  process.exit(2);
}, 10000);
const sendAll = () => {
  for (let i = 0; i < n; i++) ws.send(`message ${i} ${"x".repeat(i * 1000)}`);
};
if (noGreeting) {
  greeting = "-";
  ws.on("open", sendAll);
}
ws.on("message", (data) => {
  const text = data.toString();
  if (greeting === null) {
    greeting = text;
    sendAll();
    return;
  }
  if (text !== `message ${got} ${"x".repeat(got * 1000)}`) {
    console.log(`wrong echo ${got}: ${text.slice(0, 40)}`);
    process.exit(1);
  }
  got += 1;
  if (got === n) ws.close(1000, "done");
});
ws.on("close", (code) => {
  clearTimeout(timer);
  console.log(`ok ${got} ${greeting} close=${code}`);
  process.exit(got === n ? 0 : 1);
});
ws.on("error", (e) => {
  console.log(`error ${e.message}`);
  process.exit(1);
});
