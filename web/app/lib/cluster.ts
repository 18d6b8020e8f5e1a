import { useEffect, useState } from 'react';

/** GET /api/cluster (runtime/cluster/ownership.ts ClusterView plus the answering node). */
export interface ClusterView {
  node: string;
  nodes: { id: string; url: string; alive: boolean; sessions: number }[];
  sessions: { id: string; owner: string | null }[];
}

let clusterMode: Promise<boolean> | null = null;

/** Whether this runtime runs in cluster mode (GET /healthz, asked once per page load). */
export function useClusterMode(): boolean {
  const [cluster, setCluster] = useState(false);
  useEffect(() => {
    let stopped = false;
    clusterMode ??= fetch('/healthz')
      .then((response) => response.json() as Promise<{ cluster?: boolean }>)
      .then((body) => body.cluster === true)
      .catch(() => false);
    void clusterMode.then((value) => {
      if (!stopped) setCluster(value);
    });
    return () => {
      stopped = true;
    };
  }, []);
  return cluster;
}
