import { useEffect } from 'react';
import { useNavigate } from 'react-router';
import { Spinner } from '../components/ui.js';

export default function Home() {
  const navigate = useNavigate();
  useEffect(() => {
    // /sessions signs a remembered device in, or sends the person to sign in.
    navigate('/sessions', { replace: true });
  }, [navigate]);
  return (
    <main className="grid min-h-dvh place-items-center">
      <Spinner label="Opening Thalogos…" />
    </main>
  );
}
