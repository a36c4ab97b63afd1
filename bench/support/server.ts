/**
 * The loopback server of scenario 2, run in its own process so that its CPU is not the
 * client's: listens on 127.0.0.1, port 0, and reports the port over IPC (or stdout).
 */
import http from 'node:http';

const body = JSON.stringify({ ok: true });
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  if (process.send) process.send({ port });
  else console.log(JSON.stringify({ port }));
});
process.on('disconnect', () => process.exit(0));
