/**
 * The configuration panel, folded into a drawer on a phone (≤ 700 px wide): the charts come first and the settings
 * open under a "Settings" button (aria-expanded). Wider screens show the panel beside / above the charts as before.
 */
import { useEffect, useId, useState } from 'react';
import { ConfigPanel } from './ConfigPanel';
import { useHidden } from './ClassroomLink';
import { configPanelShown } from '../state/settings/classroom';
import './responsive.css';

const PHONE = '(max-width: 700px)';

function usePhone(): boolean {
  const [phone, setPhone] = useState(() => typeof window !== 'undefined' && !!window.matchMedia?.(PHONE).matches);
  useEffect(() => {
    const m = window.matchMedia?.(PHONE);
    if (!m) return;
    const on = () => setPhone(m.matches);
    on();
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return phone;
}

export function SettingsDrawer() {
  const phone = usePhone();
  const [open, setOpen] = useState(false);
  const id = useId();
  const shown = configPanelShown(useHidden());
  if (!phone || !shown) return <ConfigPanel />;
  return (
    <div className="settings-drawer">
      <button type="button" className="drawer-toggle" aria-expanded={open} aria-controls={id} onClick={() => setOpen((o) => !o)}>
        Settings <span aria-hidden="true">{open ? '▴' : '▾'}</span>
      </button>
      {/* kept mounted while folded: the fields keep what is being typed */}
      <div id={id} hidden={!open}>
        <ConfigPanel />
      </div>
    </div>
  );
}
