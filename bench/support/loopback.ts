import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { TMP } from './build';

/** Starts the loopback server (bench/.tmp/server.cjs) in a child process; resolves its port. */
export function startServer(): Promise<{ port: number; child: ChildProcess; stop(): void }> {
  const child = fork(path.join(TMP, 'server.cjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`loopback server exited (${code})`)));
    child.once('message', (message) => {
      const port = (message as { port?: unknown }).port;
      if (typeof port === 'number') resolve({ port, child, stop: () => child.kill() });
      else reject(new Error('loopback server sent no port'));
    });
  });
}
