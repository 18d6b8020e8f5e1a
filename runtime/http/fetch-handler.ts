/** The shape of every HTTP handler of the runtime: a Fetch Request in, a Response out. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** A response header by which a handler asks the transport to close the connection after it. */
export const CLOSE_CONNECTION_HEADER = 'connection';
