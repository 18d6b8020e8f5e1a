// What the planner is told: the goal, the repository it may read (not change), the agents it may
// suggest, and the exact JSON shape of its answer (checked by contracts/plan.ts's checkPlan).

export function plannerPrompt(goal: string, agents: readonly string[]): string {
  return [
    'You are the planner of a team of coding agents. Read the repository in the current directory',
    'as much as you need (you cannot change anything), then split the goal below into tasks that',
    'agents can do one each, in their own git worktree. A task that needs another task\'s work',
    'lists it in "dependsOn": it starts from that task\'s commits. Keep tasks independent where you can.',
    '',
    `Goal: ${goal}`,
    '',
    `Agents you may suggest for a task ("agent"): ${agents.length > 0 ? agents.join(', ') : 'none (use null)'}; null lets the session choose.`,
    '',
    'Answer with one JSON object and nothing else (no prose; a ```json fence is allowed):',
    '{"summary": "<one paragraph>", "tasks": [{"id": "<short id, e.g. t1>", "title": "<short title>",',
    ' "prompt": "<what the agent must do>", "acceptance": "<how a reviewer tells it is done>",',
    ' "dependsOn": ["<ids of tasks this one needs>"], "agent": "<agent or null>"}]}',
    'Ids are 1-40 letters, digits, _ . -; dependencies form no cycle; at most 50 tasks.',
  ].join('\n');
}
