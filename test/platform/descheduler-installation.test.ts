import { parse } from 'yaml';
import { DESCHEDULER_CHART_VERSION, DeschedulerInstallation } from '../../lib';
import { findObject, synthValid, testChart } from '../_helpers';

describe('DeschedulerInstallation', () => {
  test('a pinned HelmChart in kube-system that restores spread and removes duplicates, within the disruption budgets', () => {
    const chart = testChart();
    new DeschedulerInstallation(chart, 'descheduler');
    const objects = synthValid(chart);
    expect(objects).toMatchSnapshot();
    const helm = findObject(objects, 'HelmChart', 'descheduler', 'kube-system');
    expect(helm.spec).toEqual(expect.objectContaining({ chart: 'descheduler', version: DESCHEDULER_CHART_VERSION, targetNamespace: 'kube-system', failurePolicy: 'abort' }));
    const values = parse(helm.spec.valuesContent);
    expect(values.kind).toBe('CronJob');
    expect(values.schedule).toBe('*/15 * * * *');
    const [profile] = values.deschedulerPolicy.profiles;
    expect(profile.plugins.balance.enabled).toEqual(['RemoveDuplicates', 'RemovePodsViolatingTopologySpreadConstraint']);
    // nodeFit: nothing is evicted that could not run elsewhere; PVC pods stay (a local-path volume cannot move).
    expect(profile.pluginConfig.find((p: any) => p.name === 'DefaultEvictor').args).toEqual({ evictLocalStoragePods: true, ignorePvcPods: true, nodeFit: true });
    expect(values.resources.limits).toEqual({ cpu: '500m', memory: '256Mi' });
  });

  test.each<[string, object, RegExp]>([
    ['a version range', { version: '^0.30' }, /DeschedulerInstallation 'd': 'version' \(\^0\.30\) must be an exact chart version/],
    ['a schedule that is not cron', { schedule: 'hourly' }, /'schedule' \(hourly\) must be a cron schedule of five fields/],
  ])('refuses %s', (_title, props, error) => {
    expect(() => new DeschedulerInstallation(testChart(), 'd', props)).toThrow(error);
  });
});
