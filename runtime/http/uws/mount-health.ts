import type { TemplatedApp } from 'uWebSockets.js';

/**
 * `GET /healthz` answered in the uWS callback itself: no Fetch Request/Response, no auth, no
 * router, no await. It still shares the event loop, but never waits in a queue behind API
 * requests (body reads, restores, a route awaiting storage). `report` returns null while the
 * server stops (503, like every other request then).
 */
export function mountHealth(app: TemplatedApp, report: () => object | null, onAnswer?: () => void): void {
  app.get('/healthz', (res) => {
    const body = report();
    res.cork(() => {
      res
        .writeStatus(body ? '200 OK' : '503 Service Unavailable')
        .writeHeader('content-type', 'application/json; charset=utf-8')
        .writeHeader('cache-control', 'no-store')
        .end(JSON.stringify(body ?? { error: { code: 'SHUTTING_DOWN', message: 'the server is shutting down', retryable: true } }));
    });
    onAnswer?.();
  });
}
