/** The per-chart attribution of the UI benchmark: each chart update's mark → the main-thread task holding it. */
import { describe, expect, it } from 'vitest';
import { chartCostsFromTrace, chartsMarkdown, type ChartsUiResult } from '../../../tools/bench/browser';

const task = (ts: number, dur: number, tdur: number, tid = 1) => ({
  name: 'RunTask',
  cat: 'disabled-by-default-devtools.timeline',
  ph: 'X',
  ts,
  dur,
  tdur,
  pid: 7,
  tid,
});
const mark = (name: string, ph: 'b' | 'e', ts: number, tid = 1) => ({ name, cat: 'blink.user_timing', ph, ts, pid: 7, tid });

describe('chartCostsFromTrace', () => {
  it('attributes each update to the task that holds it (wall and CPU), on the thread of the marks', () => {
    const events = [
      { name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: 3, tid: 3, args: { name: 'CrRendererMain' } }, // about:blank's renderer
      task(1000, 60_000, 20_000),
      mark('ltpg:chart:loss', 'b', 1500),
      mark('ltpg:chart:loss', 'e', 15_500),
      task(100_000, 5_000, 4_000),
      mark('ltpg:chart:loss', 'b', 100_100),
      mark('ltpg:chart:loss', 'e', 100_400), // 0.3 ms: a no-op update (the chart's memo skipped it)
      task(200_000, 30_000, 30_000),
      mark('ltpg:chart:kps', 'b', 200_010),
      mark('ltpg:chart:kps', 'e', 225_010),
      task(300_000, 90_000, 9_000, 2), // another thread: not the page's
      { name: 'Layout', cat: 'devtools.timeline', ph: 'X', ts: 1200, dur: 3000, pid: 7, tid: 1 },
    ];
    const c = chartCostsFromTrace(events);
    expect(c.perChart.loss).toEqual({
      updates: 2,
      renders: 1,
      worstTaskMs: 60,
      medianTaskMs: 60,
      worstTaskCpuMs: 20,
      medianTaskCpuMs: 20,
      worstRenderMs: 14,
      medianRenderMs: 14,
    });
    expect(c.perChart.kps).toMatchObject({ updates: 1, renders: 1, worstTaskMs: 30, worstTaskCpuMs: 30, worstRenderMs: 25 });
    expect(c.worstTaskMs).toBe(60); // the other thread's 90 ms task is not counted
    expect(c.worstTaskCpuMs).toBe(30);
    expect(c.worstFrameTaskMs).toBe(60);
    // another prefix: the mounts
    expect(
      chartCostsFromTrace([task(0, 10_000, 9_000), mark('ltpg:mount:KPS', 'b', 10), mark('ltpg:mount:KPS', 'e', 9000)], 'ltpg:mount:')
        .perChart.KPS.worstTaskCpuMs,
    ).toBe(9);
  });

  it('the table flags a chart over 50 ms of wall-clock or CPU time and names the points drawn', () => {
    const cost = {
      updates: 3,
      renders: 2,
      worstTaskMs: 80,
      medianTaskMs: 40,
      worstTaskCpuMs: 61,
      medianTaskCpuMs: 30,
      worstRenderMs: 55,
      medianRenderMs: 25,
    };
    const r = {
      status: 'measured',
      perChart: { loss: cost, kps: { ...cost, worstTaskCpuMs: 12 }, groups: { ...cost, worstTaskMs: 45, worstTaskCpuMs: 12 } },
      points: { 'feature-space': 5000, kps: 100 },
      targetMs: 50,
      load1: { before: 1, after: 2 },
    } as unknown as ChartsUiResult;
    const md = chartsMarkdown(r);
    expect(md).toContain('| loss | 2 (3) | 40 / 80 | 30 / 61 | 25 / 55 | **no** | **no** |');
    expect(md).toContain('| kps (100 points) | 2 (3) | 40 / 80 | 30 / 12 | 25 / 55 | **no** | yes |');
    expect(md).toContain('| groups | 2 (3) | 40 / 45 | 30 / 12 | 25 / 55 | yes | yes |');
  });
});
