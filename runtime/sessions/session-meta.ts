/** The row that lists a session without loading its actor; written atomically with SESSION.CREATED. */
export interface SessionMeta {
  id: string;
  title: string;
  repoPath: string;
  createdAt: string;
  createdBy: string;
}

export const SESSION_CREATED = 'SESSION.CREATED';
