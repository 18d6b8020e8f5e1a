import type { PresenceUser } from '../lib/live-session.js';

/** Everyone with this session open (Yjs awareness on the shared document). */
export function PresenceAvatars({ people }: { people: PresenceUser[] }) {
  const unique = new Map<string, PresenceUser>();
  for (const person of people) if (!unique.has(person.name) || person.self) unique.set(person.name, person);
  const list = [...unique.values()];
  if (list.length === 0) return null;
  return (
    <ul aria-label="People here" className="flex -space-x-1.5">
      {list.slice(0, 6).map((person) => (
        <li
          key={person.clientId}
          title={`${person.name} (${person.role})${person.self ? ', you' : ''}`}
          aria-label={`${person.name}${person.self ? ' (you)' : ''}, ${person.role}`}
          className="grid size-7 place-items-center rounded-full text-xs font-semibold text-white ring-2 ring-white dark:ring-zinc-950"
          style={{ background: person.color }}
        >
          {person.name.slice(0, 1).toUpperCase()}
        </li>
      ))}
      {list.length > 6 ? (
        <li className="grid size-7 place-items-center rounded-full bg-zinc-200 text-xs font-semibold text-zinc-700 ring-2 ring-white dark:bg-zinc-700 dark:text-zinc-200 dark:ring-zinc-950">
          +{list.length - 6}
        </li>
      ) : null}
    </ul>
  );
}
