/**
 * Form controls with a label, a one-line help (a tooltip shown on hover and on keyboard focus, linked with
 * aria-describedby) and commit-on-release semantics: a number is committed on blur / Enter, a slider when it is
 * released, so dragging does not send a change per pixel.
 */
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { formatNumber } from '../core/format';
import { numberField, type NumberPath } from '../core/train/config-fields';

interface BaseProps {
  label: string;
  help?: string;
  unit?: string;
  disabled?: boolean;
  /** Why the control is disabled (shown under it). */
  disabledReason?: string;
  testId?: string;
}

function Help({ id, text }: { id: string; text?: string }) {
  if (!text) return null;
  return (
    <span id={id} role="tooltip" className="help">
      {text}
    </span>
  );
}

function Wrapper({
  children,
  help,
  helpId,
  disabledReason,
  reasonId,
  testId,
}: {
  children: ReactNode;
  help?: string;
  helpId: string;
  disabledReason?: string;
  reasonId: string;
  testId?: string;
}) {
  return (
    <div className="field" data-testid={testId}>
      {children}
      <Help id={helpId} text={help} />
      {disabledReason && (
        <span id={reasonId} className="field-reason">
          {disabledReason}
        </span>
      )}
    </div>
  );
}

function describedBy(help: string | undefined, helpId: string, reason: string | undefined, reasonId: string): string | undefined {
  const ids = [help ? helpId : null, reason ? reasonId : null].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

export interface NumberFieldProps extends BaseProps {
  value: number;
  min: number;
  max: number;
  step: number;
  /** Resolves false when the change was refused (the control then shows the old value again). */
  onCommit(v: number): void | Promise<boolean>;
  /** Also show a slider (the slider is the labelled control; the number box is "<label> value"). */
  slider?: boolean;
  /** Called while the slider moves (previews). */
  onDraft?(v: number): void;
  integer?: boolean;
  name?: string;
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, v));
}

export function NumberField(p: NumberFieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const reasonId = `${id}-reason`;
  const [draft, setDraft] = useState(String(p.value));
  const sent = useRef<number | null>(null);
  const valueRef = useRef(p.value);
  valueRef.current = p.value;
  useEffect(() => {
    // a newer commit still in flight keeps its draft (arrow keys commit on every key press)
    if (sent.current !== null && sent.current !== p.value) return;
    setDraft(String(p.value));
    sent.current = null;
  }, [p.value]);
  const commit = (raw: string) => {
    let v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) {
      setDraft(String(p.value));
      return;
    }
    v = clamp(p.integer ? Math.round(v) : v, p.min, p.max);
    setDraft(String(v));
    if (v === p.value || v === sent.current) return;
    sent.current = v;
    const r = p.onCommit(v);
    if (r instanceof Promise) {
      void r.then((ok) => {
        if (!ok) {
          sent.current = null;
          setDraft(String(valueRef.current));
        }
      });
    }
  };
  const desc = describedBy(p.help, helpId, p.disabledReason, reasonId);
  const unit = p.unit ? <span className="unit">{p.unit}</span> : null;
  if (p.slider) {
    return (
      <Wrapper help={p.help} helpId={helpId} disabledReason={p.disabledReason} reasonId={reasonId} testId={p.testId}>
        <label htmlFor={`${id}-range`} className="field-label">
          {p.label}
        </label>
        <div className="field-row">
          <input
            id={`${id}-range`}
            type="range"
            name={p.name}
            min={p.min}
            max={p.max}
            step={p.step}
            value={Number.isFinite(Number(draft)) ? Number(draft) : p.value}
            disabled={p.disabled}
            aria-describedby={desc}
            aria-valuetext={`${draft}${p.unit ? ` ${p.unit}` : ''}`}
            onChange={(e) => {
              setDraft(e.target.value);
              p.onDraft?.(Number(e.target.value));
            }}
            onPointerUp={(e) => commit((e.target as HTMLInputElement).value)}
            onKeyUp={(e) => commit((e.target as HTMLInputElement).value)}
            onBlur={(e) => commit(e.target.value)}
          />
          <input
            type="number"
            className="num"
            aria-label={`${p.label} value`}
            min={p.min}
            max={p.max}
            step={p.step}
            value={draft}
            disabled={p.disabled}
            onChange={(e) => setDraft(e.target.value)}
            onBlur={(e) => commit(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
            }}
          />
          {unit}
        </div>
      </Wrapper>
    );
  }
  return (
    <Wrapper help={p.help} helpId={helpId} disabledReason={p.disabledReason} reasonId={reasonId} testId={p.testId}>
      <label htmlFor={id} className="field-label">
        {p.label}
      </label>
      <div className="field-row">
        <input
          id={id}
          type="number"
          name={p.name}
          className="num"
          min={p.min}
          max={p.max}
          step={p.step}
          value={draft}
          disabled={p.disabled}
          aria-describedby={desc}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={(e) => commit(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit((e.target as HTMLInputElement).value);
          }}
        />
        {unit}
        <span className="range-hint" aria-hidden="true">
          {formatNumber(p.min)}–{formatNumber(p.max)}
        </span>
      </div>
    </Wrapper>
  );
}

/** What the settings table gives a number control: words, range (within the data's for a data-bound one), step. */
export function settingProps(
  path: NumberPath,
  data?: { min: number; max: number },
): Pick<NumberFieldProps, 'label' | 'help' | 'unit' | 'min' | 'max' | 'step' | 'integer' | 'name'> {
  const f = numberField(path);
  const r = f.rule;
  return {
    label: f.label.charAt(0).toUpperCase() + f.label.slice(1),
    help: f.help,
    unit: f.unit,
    min: data ? Math.max(r.min, data.min) : r.min,
    max: data ? Math.min(r.max, data.max) : r.max,
    step: r.step,
    integer: !!r.integer,
    name: f.url,
  };
}

export type SettingFieldProps = Omit<NumberFieldProps, 'label' | 'min' | 'max' | 'step' | 'integer'> & {
  path: NumberPath;
  /** Another label than the table's words. */
  label?: string;
  /** The loaded data's range of a data-bound setting. */
  data?: { min: number; max: number };
};

/** A NumberField for one setting of the table (core/train/config-fields.ts): label, help, unit, range and step. */
export function SettingField({ path, data, ...p }: SettingFieldProps) {
  const t = settingProps(path, data);
  return <NumberField {...t} {...p} label={p.label ?? t.label} help={p.help ?? t.help} unit={p.unit ?? t.unit} />;
}

export interface SelectFieldProps<T extends string> extends BaseProps {
  value: T;
  options: readonly { value: T; label: string }[];
  onCommit(v: T): void | Promise<boolean>;
  name?: string;
}

export function SelectField<T extends string>(p: SelectFieldProps<T>) {
  const id = useId();
  const helpId = `${id}-help`;
  const reasonId = `${id}-reason`;
  return (
    <Wrapper help={p.help} helpId={helpId} disabledReason={p.disabledReason} reasonId={reasonId} testId={p.testId}>
      <label htmlFor={id} className="field-label">
        {p.label}
      </label>
      <div className="field-row">
        <select
          id={id}
          name={p.name}
          value={p.value}
          disabled={p.disabled}
          aria-describedby={describedBy(p.help, helpId, p.disabledReason, reasonId)}
          onChange={(e) => p.onCommit(e.target.value as T)}
        >
          {p.options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </div>
    </Wrapper>
  );
}

export interface CheckFieldProps extends BaseProps {
  checked: boolean;
  onCommit(v: boolean): void | Promise<boolean>;
  name?: string;
}

export function CheckField(p: CheckFieldProps) {
  const id = useId();
  const helpId = `${id}-help`;
  const reasonId = `${id}-reason`;
  return (
    <Wrapper help={p.help} helpId={helpId} disabledReason={p.disabledReason} reasonId={reasonId} testId={p.testId}>
      <div className="field-row check">
        <input
          id={id}
          type="checkbox"
          name={p.name}
          checked={p.checked}
          disabled={p.disabled}
          aria-describedby={describedBy(p.help, helpId, p.disabledReason, reasonId)}
          onChange={(e) => p.onCommit(e.target.checked)}
        />
        <label htmlFor={id} className="field-label">
          {p.label}
        </label>
      </div>
    </Wrapper>
  );
}
