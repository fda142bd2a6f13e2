/**
 * The CLI's self-check of the fused engine (core/train/self-check.ts): on by default for a hardware adapter, off
 * for a software one (SwiftShader, llvmpipe …: the project's tests already cover those) unless `--self-check` asks;
 * passes are remembered for the process.
 */
import { softwareRenderer } from '../core/backend-probe';
import { adapterIdentity, SelfCheckGate, type SelfCheckFault } from '../core/train/self-check';

/** Test-only: names a kernel fault the check injects (`scaled-gradient`), so the fallback can be seen. */
export const SELF_CHECK_FAULT_ENV = 'LTPG_TEST_SELFCHECK_FAULT';

export function selfCheckGateFor(device: GPUDevice, flag: boolean | null): SelfCheckGate | null {
  const a = adapterIdentity(device);
  const on = flag ?? softwareRenderer([a.vendor, a.architecture, a.device, a.description]) === null;
  const fault = process.env[SELF_CHECK_FAULT_ENV];
  if (fault && fault !== 'scaled-gradient') throw new Error(`${SELF_CHECK_FAULT_ENV}: unknown fault '${fault}'`);
  return on ? new SelfCheckGate(undefined, { fault: (fault as SelfCheckFault | undefined) ?? null }) : null;
}
