/**
 * Recovery: what happens when the worker is replaced — the user picked another backend, or the backend died (GPU
 * device lost, worker crash). Uploaded data lived in the old worker: it is made again in the new one from its recipe
 * (the files the page kept), or, when that is impossible, the run falls back to the embedded data set with a notice.
 * The session calls these and then does its own bookkeeping (configure, history); nothing here calls the session.
 */
import { isUploadId } from '../../worker/upload-info';
import { askWasmThreads } from '../../worker/wasm-threads-ask';
import type { InitResult, RunSummary, UploadedDataInfo } from '../../worker/protocol';
import { initBackendFor, type KeyValueStore } from './backend-choice';
import { patchSettings, toRunSpec, type Settings } from '../settings/settings';
import { forgetUploads } from '../uploads/upload';
import type { UploadRecipe } from '../uploads/upload-recipe';
import type { PlaygroundStore } from './store';
import type { WorkerLink } from './worker-link';

export interface RecoveryContext {
  store: PlaygroundStore;
  link: WorkerLink;
  wasmPaths?: string;
  /** Where "Auto" caches its measurements (default localStorage). */
  backendStore?: KeyValueStore | null;
  /** Parses an upload recipe in the current worker (records the data set in the store and the link). */
  loadRecipe(recipe: UploadRecipe): Promise<UploadedDataInfo>;
}

/**
 * Makes an uploaded data set again in the current worker from its recipe and returns `settings` pointing at the new
 * data-set id (they become the controls' settings). If that fails, falls back to the embedded set (notice).
 */
export async function remakeUpload(ctx: RecoveryContext, settings: Settings, recipe: UploadRecipe): Promise<Settings> {
  ctx.store.getState().clearUploads();
  try {
    const info = await ctx.loadRecipe(recipe);
    const next = patchSettings(settings, { config: { dataset: info.id } });
    ctx.store.getState().setSettings(next);
    return next;
  } catch (e) {
    ctx.store.getState().pushNotice({
      id: 'upload-error',
      level: 'error',
      title: 'Could not load the uploaded data again',
      items: [e instanceof Error ? e.message : String(e)],
    });
    return forgetUploads(ctx.store, settings);
  }
}

/** A fresh worker on the backend of `settings`; returns the backend and the settings to configure on it. */
export async function respawn(ctx: RecoveryContext, settings: Settings): Promise<{ init: InitResult; settings: Settings }> {
  const recipe = isUploadId(settings.config.dataset) ? ctx.link.recipeOf(settings.config.dataset) : undefined;
  ctx.link.replace();
  // uploaded data lived in the old worker: the run's data set is made again from its recipe, the others forgotten
  if (!recipe) settings = forgetUploads(ctx.store, settings);
  ctx.store.getState().patchRun({ phase: 'starting', backend: null, crash: null });
  askWasmThreads(settings.threads); // the new worker's wasm threads (a changed setting restarts the worker)
  const init = await initBackendFor(ctx.link, settings, {
    wasmPaths: ctx.wasmPaths,
    uploads: ctx.store.getState().uploads,
    store: ctx.backendStore,
  });
  ctx.store.getState().patchRun({ backend: init });
  if (recipe) settings = await remakeUpload(ctx, settings, recipe);
  return { init, settings };
}

/**
 * After a crash: a fresh worker on the next backend, restoring the last finished epoch (on the run's uploaded data
 * made again, if any). Returns what the new worker runs; `runSettings` are the run's settings afterwards.
 */
export async function continueAfterCrash(
  ctx: RecoveryContext,
  runSettings: Settings | null,
): Promise<{ init: InitResult; summary: RunSummary | null; restored: boolean; runSettings: Settings | null }> {
  const upId = runSettings && isUploadId(runSettings.config.dataset) ? runSettings.config.dataset : null;
  const recipe = upId ? ctx.link.recipeOf(upId) : undefined;
  if (runSettings && upId && !recipe) {
    // uploaded data died with the worker and can't be made again: restart on the embedded set
    ctx.link.dropCrashCheckpoint();
    runSettings = forgetUploads(ctx.store, runSettings);
  } else if (!upId && ctx.store.getState().uploads.length) {
    ctx.store.getState().clearUploads();
    ctx.link.forgetRecipes();
  }
  // uploaded data: made again in the new worker from the kept files, then the checkpoint is restored on it
  const remap =
    recipe && runSettings
      ? async () => {
          ctx.link.forgetRecipes();
          runSettings = await remakeUpload(ctx, runSettings!, recipe);
          return isUploadId(runSettings.config.dataset) ? runSettings.config.dataset : null;
        }
      : undefined;
  const r = await ctx.link.continueOnNextBackend(ctx.wasmPaths, () => (runSettings ? toRunSpec(runSettings) : undefined), remap);
  return { ...r, runSettings };
}
