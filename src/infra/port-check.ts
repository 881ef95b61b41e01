import net from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/**
 * Fail before anything starts when a port we are about to listen on is taken, so that a
 * misconfigured second start does not first boot Postgres and S3 and run migrations. (The
 * real listen still reports a port taken in between; this only makes the common case fail early.)
 */
export function assertPortFree(host: string, port: number, variable: string): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(`${host}:${port} is already in use (${variable}); stop what listens there or set ${variable}`));
      else if (err.code === 'EACCES') reject(new PortInUseError(`${host}:${port} may not be used by this user (${variable})`));
      else reject(err);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
