import { data, Link } from 'react-router';

/** The console has no page here: answer 404, not a 200 page that says so. */
export function loader() {
  return data(null, { status: 404 });
}

export function meta() {
  return [{ title: 'Not found · Thalogos' }];
}

export default function NotFound() {
  return (
    <main className="mx-auto max-w-xl px-6 py-24">
      <h1 className="text-xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-zinc-600 dark:text-zinc-400">There is no console page at this address.</p>
      <Link to="/sessions" className="mt-6 inline-block text-sm font-medium text-indigo-600 hover:underline dark:text-indigo-400">
        Back to sessions
      </Link>
    </main>
  );
}
