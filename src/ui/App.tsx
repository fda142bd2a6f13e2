/** Placeholder page until the playground UI lands: names the project and what the engine already offers. */
import { LOSSES } from '../core/losses/registry';

export function App() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 760, margin: '2rem auto', lineHeight: 1.5 }}>
      <h1>Long-Tail Playground</h1>
      <p>
        Train small image classifiers on long-tailed data in the browser and compare the long-tail losses of
        Li &amp; Cheung (KPS, FBL, GCL) with the usual baselines. The interactive playground is being built; the
        training engine and the headless CLI (<code>npm run train</code>) are available now.
      </p>
      <h2>Losses in the engine</h2>
      <ul>
        {Object.values(LOSSES).map((l) => (
          <li key={l.id}>
            <strong>{l.label}</strong> — {l.summary}
          </li>
        ))}
      </ul>
    </main>
  );
}
