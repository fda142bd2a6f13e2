/**
 * An error boundary around one panel (charts, configuration, runs table, a dialog …): when something in it throws
 * while rendering or in an effect, only that panel is replaced by a line saying what failed, with Retry (render it
 * again) and, for dialogs, Dismiss (close it). The rest of the page — and training in the worker — goes on.
 */
import { Component, type ErrorInfo, type ReactNode } from 'react';

interface Props {
  /** What the panel is, for "The <name> failed: …". */
  name: string;
  children: ReactNode;
  /** Dialogs: closes the dialog (the boundary then renders it again, closed). */
  onDismiss?: () => void;
}

interface State {
  error: Error | null;
  /** Bumped by Retry: the children mount afresh. */
  attempt: number;
}

function messageOf(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.length > 300 ? `${m.slice(0, 300)}…` : m || 'unknown error';
}

export class PanelBoundary extends Component<Props, State> {
  override state: State = { error: null, attempt: 0 };

  static getDerivedStateFromError(error: unknown): Partial<State> {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown, info: ErrorInfo): void {
    console.warn(`[panel] the ${this.props.name} failed:`, error, info.componentStack ?? '');
  }

  private retry = () => this.setState((s) => ({ error: null, attempt: s.attempt + 1 }));

  private dismiss = () => {
    this.props.onDismiss?.();
    this.setState((s) => ({ error: null, attempt: s.attempt + 1 }));
  };

  override render(): ReactNode {
    const { error, attempt } = this.state;
    if (!error) return <PanelKey key={attempt}>{this.props.children}</PanelKey>;
    return (
      <div className="notice notice-error panel-failed" role="alert" data-testid="panel-failed" data-panel={this.props.name}>
        <strong>
          The {this.props.name} failed: {messageOf(error)}.
        </strong>{' '}
        <span>The rest of the page still works{this.props.onDismiss ? '' : '; training goes on'}.</span>{' '}
        <button type="button" onClick={this.retry}>
          Retry
        </button>
        {this.props.onDismiss && (
          <button type="button" onClick={this.dismiss}>
            Dismiss
          </button>
        )}
      </div>
    );
  }
}

/** A keyed wrapper so Retry remounts the panel (fresh state) rather than re-rendering the one that failed. */
function PanelKey({ children }: { children: ReactNode }) {
  return <>{children}</>;
}
