import { type RouteConfig, index, route } from '@react-router/dev/routes';

export default [
  index('routes/home.tsx'),
  route('sign-in', 'routes/sign-in.tsx'),
  route('sessions', 'routes/sessions.tsx'),
  route('sessions/:sessionId', 'routes/session.tsx', [
    index('routes/session-board.tsx'),
    route('tasks/:taskId', 'routes/task.tsx'),
    route('timeline', 'routes/timeline.tsx'),
    route('environments', 'routes/environments.tsx'),
    route('conflict', 'routes/conflict.tsx'),
    route('members', 'routes/members.tsx'),
  ]),
  route('tokens', 'routes/tokens.tsx'),
  route('cluster', 'routes/cluster.tsx'),
  route('*', 'routes/not-found.tsx'),
] satisfies RouteConfig;
