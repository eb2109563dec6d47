/** Types of scripts/peers.mjs for the TypeScript tests that import it. */
export interface PeerProject {
  name: string;
  dir: string;
  peers: Record<string, string>;
}
export function peerProjects(): PeerProject[];
export function onPath(binary: string, path?: string): string | undefined;
