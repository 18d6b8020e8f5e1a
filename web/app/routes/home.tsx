import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import { readToken } from '../lib/auth.js';
import { Spinner } from '../components/ui.js';

export default function Home() {
  const navigate = useNavigate();
  useEffect(() => {
    navigate(readToken() ? '/sessions' : '/sign-in', { replace: true });
  }, [navigate]);
  return (
    <main className="grid min-h-dvh place-items-center">
      <Spinner label="Opening Thalogos…" />
    </main>
  );
}
