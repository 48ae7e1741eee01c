// Bare express "hello world" server, run as a child process: the ceiling of the HTTP stack on this machine.
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.send('hello world');
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.send?.({ port });
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
