import type { Server } from 'node:http';
import { AppError } from '../errors.ts';

/**
 * Binds `server` to host:port. A port that is taken (or not allowed) becomes a coded error that names
 * the port and the setting that changes it, instead of Node's bare "EADDRINUSE".
 */
export function listenOn(server: Server, host: string, port: number, setting: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new AppError(
            'port_in_use',
            `Port ${port} on ${host} is already in use (another coordinator, printer or demo?): stop it, or choose another port with ${setting}.`,
            { host, port, setting },
          ),
        );
      } else if (err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL') {
        reject(
          new AppError(
            'port_unavailable',
            `Cannot listen on ${host}:${port} (${err.code}): choose another address or port with ${setting}.`,
            { host, port, setting },
          ),
        );
      } else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
