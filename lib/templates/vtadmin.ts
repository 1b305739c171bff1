/**
 * vtadmin: vtadmin-api (the vtadmin binary, HTTP 14200) and vtadmin-web (the web app, served by the
 * image's nginx on 14201), each a Deployment and a Service, and one ConfigMap: the static discovery
 * file vtadmin-api reads (vtctld and every vtgate of the cluster) and the web app's runtime config
 * (`/config/config.js`, which index.html loads). A hash of the ConfigMap rolls both when it changes.
 */
import type { V1ConfigMap, V1Deployment, V1Service } from '@kubernetes/client-node';
import type { ResolvedVtadminSpec } from '../api/access.ts';
import { shortHash } from '../kube/hash.ts';
import { flagArgs } from '../vitess/flags.ts';
import { cellComponentName } from '../vitess/names.ts';
import { PORTS } from '../vitess/ports.ts';
import type { CellScope } from './cell-scope.ts';
import { httpProbe, lenientLiveness, objectMeta } from './meta.ts';
import { componentDeployment, componentService, containerPort, servicePort } from './workload.ts';

const API = 'vtadmin-api';
const WEB = 'vtadmin-web';
const CONFIG_DIR = '/vt/vtadmin';
const RBAC_DIR = '/vt/vtadmin/rbac';
/** Where the web app looks for its runtime config (web/vtadmin/index.html: `/config/config.js` under nginx's root /var/www). */
const WEB_CONFIG_DIR = '/var/www/config';
/** nginx-unprivileged's user: the web image's nginx writes its config as that user, so the Pod runs as it. */
const NGINX_UID = 101;

export function vtadminObjects(scope: CellScope, spec: ResolvedVtadminSpec): (V1ConfigMap | V1Deployment | V1Service)[] {
  const configName = cellComponentName(scope.cellObject, 'vtadmin');
  const config = vtadminConfigMap(scope, configName, spec);
  const podAnnotations = { 'vitess.io/config-hash': shortHash(config.data) };
  const apiName = cellComponentName(scope.cellObject, API);
  const webName = cellComponentName(scope.cellObject, WEB);
  const tabletUrl = `{{ .Tablet.Hostname }}:${PORTS.web}`;
  const flags = {
    addr: `:${PORTS.vtadminApi}`,
    // The browser calls the API from the web app's origin: CORS must allow it.
    'http-origin': spec.webAddress,
    'http-tablet-url-tmpl': `http://${tabletUrl}`,
    cluster: [`id=${scope.cluster}`, `name=${scope.cluster}`, 'discovery=staticfile', `discovery-staticfile-path=${CONFIG_DIR}/discovery.json`, `tablet-fqdn-tmpl=${tabletUrl}`].join(','),
    // vtadmin refuses to start without one of the two (go/cmd/vtadmin/main.go).
    ...(spec.rbac !== undefined ? { rbac: 'true', 'rbac-config': `${RBAC_DIR}/${spec.rbac.key}` } : { 'no-rbac': 'true' }),
  };
  const api = componentDeployment({
    scope,
    name: apiName,
    component: API,
    spec,
    command: ['/vt/bin/vtadmin', ...flagArgs(flags)],
    ports: [containerPort('http', PORTS.vtadminApi)],
    readinessProbe: httpProbe('/health', 'http'),
    livenessProbe: lenientLiveness(httpProbe('/health', 'http')),
    podAnnotations,
    volumes: [
      { name: 'config', configMap: { name: configName, items: [{ key: 'discovery.json', path: 'discovery.json' }] } },
      ...(spec.rbac === undefined ? [] : [{ name: 'rbac', secret: { secretName: spec.rbac.secretName, defaultMode: 0o440, items: [{ key: spec.rbac.key, path: spec.rbac.key }] } }]),
    ],
    volumeMounts: [{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }, ...(spec.rbac === undefined ? [] : [{ name: 'rbac', mountPath: RBAC_DIR, readOnly: true }])],
  });
  const web = componentDeployment({
    scope,
    name: webName,
    component: WEB,
    spec,
    // The image's entrypoint: nginx, its site templated on VTADMIN_WEB_PORT.
    ports: [containerPort('web', PORTS.vtadminWeb)],
    readinessProbe: httpProbe('/', 'web'),
    livenessProbe: lenientLiveness(httpProbe('/', 'web')),
    podAnnotations,
    securityContext: { runAsUser: NGINX_UID, runAsGroup: NGINX_UID, fsGroup: NGINX_UID, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
    volumes: [{ name: 'config', configMap: { name: configName, items: [{ key: 'config.js', path: 'config.js' }] } }],
    volumeMounts: [{ name: 'config', mountPath: WEB_CONFIG_DIR, readOnly: true }],
  });
  return [
    config,
    componentService(scope, apiName, API, {}, [servicePort('http', PORTS.vtadminApi)]),
    api,
    componentService(scope, webName, WEB, {}, [servicePort('web', PORTS.vtadminWeb)]),
    web,
  ];
}

function vtadminConfigMap(scope: CellScope, name: string, spec: ResolvedVtadminSpec): V1ConfigMap {
  // vtadmin's static discovery (go/vt/vtadmin/cluster/discovery/discovery_json.go): vtctld by its
  // gRPC address (hostname) and web address (FQDN), each vtgate by its gRPC address.
  const discovery = {
    vtctlds: [{ host: { hostname: spec.vtctld.grpc, FQDN: spec.vtctld.web } }],
    vtgates: spec.vtgates.map((hostname) => ({ host: { hostname } })),
  };
  // The web app's runtime config (web/vtadmin/public/config/config.js), read as window.env.
  const env = {
    VITE_VTADMIN_API_ADDRESS: spec.apiAddress,
    VITE_FETCH_CREDENTIALS: 'omit',
    VITE_ENABLE_EXPERIMENTAL_TABLET_DEBUG_VARS: false,
    VITE_BUGSNAG_API_KEY: '',
    VITE_DOCUMENT_TITLE: '',
    VITE_READONLY_MODE: false,
  };
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: objectMeta(scope, name, 'vtadmin'),
    data: {
      'discovery.json': `${JSON.stringify(discovery, null, 2)}\n`,
      'config.js': `window.env = ${JSON.stringify(env, null, 2)};\n`,
    },
  };
}
