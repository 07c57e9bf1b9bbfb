/** Network ids name a network; they go into every topic and protocol id, so networks never mix. */
export const NETWORK_ID_RE = /^[a-z0-9][a-z0-9-]{0,31}$/;

export function updatesTopic(networkId: string): string {
  return `/murmur/${networkId}/updates/1`;
}

export function syncProtocol(networkId: string): string {
  return `/murmur/${networkId}/sync/1.0.0`;
}
