/**
 * The session services: the run queues of Compare runs (preset, seeds, sweep) and the Lesson, made once beside the
 * session (src/main.tsx) and handed to the UI in its context. Explicit objects rather than registries keyed by the
 * session, so a test or a second session makes its own and nothing hides in module state.
 */
import type { KeyValueStore } from './backend-choice';
import { PresetRunner } from '../runs/compare';
import { Lesson } from './lesson';
import { SeedRunner } from '../runs/seed-runner';
import type { PlaygroundSession } from './session';
import { SweepRunner } from '../runs/sweep-runner';

export interface SessionServices {
  readonly preset: PresetRunner;
  readonly seeds: SeedRunner;
  readonly sweep: SweepRunner;
  readonly lesson: Lesson;
}

/** The services of one session; `storage` keeps the Lesson's step across reloads (null: this page load only). */
export function createSessionServices(session: PlaygroundSession, storage: KeyValueStore | null = null): SessionServices {
  return {
    preset: new PresetRunner(session),
    seeds: new SeedRunner(session),
    sweep: new SweepRunner(session),
    lesson: new Lesson(session, storage),
  };
}
