/** The playground page: header with controls, configuration panel, live charts, notices and the confirm dialog. */
import { useEffect } from 'react';
import { PlaygroundContext, type Playground } from './context';
import { Header } from './Header';
import { SettingsDrawer } from './SettingsDrawer';
import { ChartsArea } from './ChartsArea';
import { CrashBanner, Notices } from './Notices';
import { ConfirmDialog } from './ConfirmDialog';
import { useShortcuts } from './shortcuts';
import { ResumeBanner } from './ResumeBanner';
import { HiddenControlsLine, useHidden } from './ClassroomLink';
import { configPanelShown } from '../state/settings/classroom';
import { IntroPanel } from './IntroPanel';
import { ClassGallery } from './ClassGallery';
import { PanelBoundary } from './PanelBoundary';
import { usePg } from './context';
import { LessonPanel } from './Lesson';

/** The confirm dialog in its boundary (Dismiss answers Cancel). */
function GuardedConfirm() {
  const answer = usePg((s) => s.answerConfirm);
  return (
    <PanelBoundary name="confirm dialog" onDismiss={() => answer(false)}>
      <ConfirmDialog />
    </PanelBoundary>
  );
}

function Shell({ pg }: { pg: Playground }) {
  useShortcuts(pg.session);
  // a classroom link may hide every control of the panel: the charts then take the whole width
  const withConfig = configPanelShown(useHidden());
  return (
    <div className="app">
      {/* the first Tab stop: past the header, the settings and Compare runs */}
      <a className="skip-link" href="#charts">
        Skip to the charts
      </a>
      <PanelBoundary name="header">
        <Header />
      </PanelBoundary>
      <CrashBanner />
      <PanelBoundary name="saved-run banner">
        <ResumeBanner />
      </PanelBoundary>
      <Notices />
      <HiddenControlsLine />
      <IntroPanel />
      <div className={withConfig ? 'layout' : 'layout no-config'}>
        <PanelBoundary name="configuration panel">
          <SettingsDrawer />
        </PanelBoundary>
        <PanelBoundary name="charts area">
          <ChartsArea />
        </PanelBoundary>
      </div>
      <PanelBoundary name="lesson">
        <LessonPanel />
      </PanelBoundary>
      <footer className="app-footer">
        Fashion-MNIST © 2017 Zalando SE (MIT). Losses: KPS, FBL and GCL of Li &amp; Cheung; baselines CE, LDAM-DRW, Balanced Softmax, logit
        adjustment, class-balanced CE. Everything trains in a Web Worker in this tab.
      </footer>
      <GuardedConfirm />
      <PanelBoundary name="class gallery">
        <ClassGallery />
      </PanelBoundary>
    </div>
  );
}

export function App({ pg, autoStart = true }: { pg: Playground; autoStart?: boolean }) {
  useEffect(() => {
    if (autoStart) void pg.session.start();
  }, [pg, autoStart]);
  return (
    <PlaygroundContext.Provider value={pg}>
      <Shell pg={pg} />
    </PlaygroundContext.Provider>
  );
}
