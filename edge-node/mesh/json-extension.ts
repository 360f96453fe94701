/**
 * A Hypercore extension that carries JSON messages between venue printers (have-lists, queues,
 * detours), on the wire exactly as Hypercore's own `json` encoding (the UTF-8 text, nothing else),
 * so printers with either talk to each other.
 *
 * Why not that encoding: it parses inside Hypercore, before our handler runs, and text that is not
 * JSON throws there, which Protomux answers by destroying the whole connection to that printer,
 * every core on it. Here a message that does not parse reaches the handler as `undefined` (JSON
 * never decodes to it), to be counted and ignored like any other malformed message.
 */
import type Hypercore from 'hypercore';

export interface RemotePeer {
  remotePublicKey?: Buffer;
}

export interface JsonExtension {
  send(message: unknown, peer: unknown): void;
  broadcast(message: unknown): void;
  destroy(): void;
}

interface TextExtension {
  send(text: string, peer: unknown): void;
  broadcast(text: string): void;
  destroy(): void;
}

export function registerJsonExtension(
  core: Hypercore,
  name: string,
  onmessage: (message: unknown, peer: RemotePeer) => void,
): JsonExtension {
  const extension = (
    core as unknown as {
      registerExtension(
        name: string,
        handlers: { encoding: string; onmessage: (text: string, peer: RemotePeer) => void },
      ): TextExtension;
    }
  ).registerExtension(name, {
    encoding: 'utf8',
    onmessage: (text, peer) => onmessage(parseJson(text), peer),
  });
  return {
    send: (message, peer) => extension.send(JSON.stringify(message), peer),
    broadcast: (message) => extension.broadcast(JSON.stringify(message)),
    destroy: () => extension.destroy(),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
