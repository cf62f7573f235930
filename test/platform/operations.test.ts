import { ArgoCdApplication, K3sUpgradePlans, KEDA_CHART_VERSION, KedaInstallation, Weekday } from '../../lib';
import { findObject, synthValid, testChart } from '../_helpers';

describe('K3sUpgradePlans', () => {
  test('servers first, one at a time; agents after them, drained; inside the window', () => {
    const chart = testChart();
    new K3sUpgradePlans(chart, 'upgrades', { version: 'v1.30.4+k3s1', window: { days: [Weekday.SATURDAY, Weekday.SUNDAY], startTime: '02:00', endTime: '05:00', timeZone: 'Europe/Berlin' } });
    const objects = synthValid(chart);
    expect(objects).toMatchSnapshot();
    const server = findObject(objects, 'Plan', 'k3s-server');
    const agent = findObject(objects, 'Plan', 'k3s-agent');
    expect(server.spec).toEqual(expect.objectContaining({ concurrency: 1, cordon: true, version: 'v1.30.4+k3s1', serviceAccountName: 'system-upgrade', upgrade: { image: 'rancher/k3s-upgrade' } }));
    expect(server.spec.nodeSelector.matchExpressions).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'In', values: ['true'] }]);
    expect(agent.spec.prepare).toEqual({ image: 'rancher/k3s-upgrade', args: ['prepare', 'k3s-server'] });
    expect(agent.spec.nodeSelector.matchExpressions).toEqual([{ key: 'node-role.kubernetes.io/control-plane', operator: 'DoesNotExist' }]);
    expect(agent.spec.drain).toEqual(expect.objectContaining({ ignoreDaemonSets: true }));
    for (const plan of [server, agent]) expect(plan.spec.window).toEqual({ days: ['sat', 'sun'], startTime: '02:00', endTime: '05:00', timeZone: 'Europe/Berlin' });
    expect(findObject(objects, 'Namespace', 'system-upgrade').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  test('an overnight window goes to the controller as given: the system-upgrade-controller reads an end before the start as past midnight', () => {
    const chart = testChart();
    const window = { days: [Weekday.FRIDAY, Weekday.SATURDAY], startTime: '22:00', endTime: '04:00', timeZone: 'Europe/Berlin' };
    new K3sUpgradePlans(chart, 'upgrades', { version: 'v1.30.4+k3s1', window });
    const objects = synthValid(chart);
    for (const name of ['k3s-server', 'k3s-agent']) expect(findObject(objects, 'Plan', name).spec.window).toEqual({ days: ['fri', 'sat'], startTime: '22:00', endTime: '04:00', timeZone: 'Europe/Berlin' });
  });

  test('refuses a window whose end equals its start: it would be open one second a day', () => {
    expect(() => new K3sUpgradePlans(testChart(), 'upgrades', { version: 'v1.30.4+k3s1', window: { days: [Weekday.SUNDAY], startTime: '03:00', endTime: '03:00' } }))
      .toThrow(/^K3sUpgradePlans 'upgrades': 'window\.endTime' \(03:00\) must be different from window\.startTime \(03:00\)\. The window would be open one second a day/);
  });

  test.each([
    [{ version: '1.30' }, /'version' \(1.30\) must be a K3s release such as v1.30.4\+k3s1/],
    [{ version: 'v1.30.4+k3s1', agentConcurrency: 0 }, /'agentConcurrency' \(0\) must be an integer >= 1/],
    [{ version: 'v1.30.4+k3s1', window: { days: [Weekday.SATURDAY], startTime: '2am', endTime: '05:00' } }, /'window.startTime' \(2am\) must be HH:MM/],
  ])('refuses %j', (props, message) => {
    expect(() => new K3sUpgradePlans(testChart(), 'upgrades', props)).toThrow(message);
  });
});

describe('KedaInstallation', () => {
  test('a pinned HelmChart in kube-system, installing into a restricted namespace', () => {
    const chart = testChart();
    new KedaInstallation(chart, 'keda');
    const objects = synthValid(chart);
    const helm = findObject(objects, 'HelmChart', 'keda');
    expect(helm.metadata.namespace).toBe('kube-system');
    expect(helm.spec).toEqual(expect.objectContaining({ chart: 'keda', repo: 'https://kedacore.github.io/charts', version: KEDA_CHART_VERSION, targetNamespace: 'keda' }));
    expect(helm.spec.valuesContent).toMatch(/operator: \{ requests:/);
    expect(findObject(objects, 'Namespace', 'keda').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  test('refuses a version range', () => {
    expect(() => new KedaInstallation(testChart(), 'keda', { version: '2.x' })).toThrow(/'version' \(2.x\) must be an exact chart version/);
  });
});

describe('ArgoCdApplication', () => {
  test('applies dist/ with server-side apply and ignores replicas autoscalers own', () => {
    const chart = testChart();
    new ArgoCdApplication(chart, 'app', {
      repoUrl: 'https://git.example.internal/platform/video-analytics.git',
      autoscaled: [{ kind: 'Deployment', namespace: 'video-analytics', name: 'smoke' }, { kind: 'Deployment', namespace: 'video-analytics', name: 'intrusion' }],
    });
    const app = findObject(synthValid(chart), 'Application', 'video-analytics');
    expect(app.metadata.namespace).toBe('argocd');
    expect(app.spec.source).toEqual({ repoURL: 'https://git.example.internal/platform/video-analytics.git', targetRevision: 'main', path: 'dist', directory: { include: '*.k8s.yaml' } });
    expect(app.spec.syncPolicy.syncOptions).toContain('ServerSideApply=true');
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.ignoreDifferences).toEqual([
      { group: 'apps', kind: 'Deployment', namespace: 'video-analytics', name: 'intrusion', jsonPointers: ['/spec/replicas'] },
      { group: 'apps', kind: 'Deployment', namespace: 'video-analytics', name: 'smoke', jsonPointers: ['/spec/replicas'] },
    ]);
  });

  test('refuses a URL Argo CD cannot clone', () => {
    expect(() => new ArgoCdApplication(testChart(), 'app', { repoUrl: 'git.example.internal/platform' })).toThrow(/'repoUrl' \(git.example.internal\/platform\) must be an https:\/\/, ssh:\/\/ or git@ Git URL/);
  });
});

describe('fixed in #8: errors name the prop of the construct the user called', () => {
  test.each<[string, () => unknown, RegExp]>([
    ['a bad KEDA namespace', () => new KedaInstallation(testChart(), 'keda', { namespace: 'KEDA' }), /^KedaInstallation 'keda': 'namespace' \(KEDA\) must be a DNS-1123 label/],
    ['a bad upgrade namespace', () => new K3sUpgradePlans(testChart(), 'upgrades', { version: 'v1.30.4+k3s1', namespace: 'System_Upgrade' }), /^K3sUpgradePlans 'upgrades': 'namespace' \(System_Upgrade\) must be a DNS-1123 label/],
    ['a window end time', () => new K3sUpgradePlans(testChart(), 'upgrades', { version: 'v1.30.4+k3s1', window: { days: [Weekday.SUNDAY], startTime: '02:00', endTime: '24:00' } }),
      /^K3sUpgradePlans 'upgrades': 'window\.endTime' \(24:00\) must be HH:MM/],
    ['a window without days, which the Plan CRD refuses', () => new K3sUpgradePlans(testChart(), 'upgrades', { version: 'v1.30.4+k3s1', window: { days: [], startTime: '02:00', endTime: '05:00' } }),
      /^K3sUpgradePlans 'upgrades': 'window\.days' \(\[\]\) must be at least one day/],
    ['an unknown time zone', () => new K3sUpgradePlans(testChart(), 'upgrades', { version: 'v1.30.4+k3s1', window: { days: [Weekday.SUNDAY], startTime: '02:00', endTime: '05:00', timeZone: 'Europe/Atlantis' } }),
      /^K3sUpgradePlans 'upgrades': 'window\.timeZone' \(Europe\/Atlantis\) must be an IANA time zone/],
    ['an Application name the API server refuses', () => new ArgoCdApplication(testChart(), 'app', { repoUrl: 'https://git.example.com/x.git', name: 'Video_Analytics' }),
      /^ArgoCdApplication 'app': 'name' \(Video_Analytics\) must be an object name/],
    ['an Argo CD namespace the API server refuses', () => new ArgoCdApplication(testChart(), 'app', { repoUrl: 'https://git.example.com/x.git', namespace: 'ArgoCD' }),
      /^ArgoCdApplication 'app': 'namespace' \(ArgoCD\) must be a namespace name/],
    ['an autoscaled workload no ignoreDifferences entry could match', () => new ArgoCdApplication(testChart(), 'app', { repoUrl: 'https://git.example.com/x.git', autoscaled: [{ kind: 'Deployment', namespace: 'va', name: 'Smoke' }] }),
      /^ArgoCdApplication 'app': 'autoscaled\[0\]\.name' \(Smoke\) must be an object name/],
  ])('refuses %s', (_title, build, message) => {
    expect(build).toThrow(message);
  });

  test('takes a time zone exactly when a date formatter takes it: listed zones, UTC, aliases and other spellings', () => {
    const plans = (timeZone: string) => () => new K3sUpgradePlans(testChart(), 'upgrades', { version: 'v1.30.4+k3s1', window: { days: [Weekday.SUNDAY], startTime: '02:00', endTime: '05:00', timeZone } });
    const formatterTakes = (timeZone: string): boolean => {
      try {
        new Intl.DateTimeFormat('en', { timeZone });
        return true;
      } catch {
        return false;
      }
    };
    const zones = ['UTC', 'Etc/UTC', 'GMT', 'US/Eastern', 'europe/berlin', 'Asia/Calcutta', 'Europe/Atlantis', 'utc', '', 'Berlin', ...Intl.supportedValuesOf('timeZone').slice(0, 40)];
    for (const zone of zones) {
      if (formatterTakes(zone)) expect(plans(zone)).not.toThrow();
      else expect(plans(zone)).toThrow(/must be an IANA time zone/);
    }
  });
});
