// An Entra-enrolled test device with its certificate and key, ready for OMA-DM sessions.
import { derToPem } from '../../src/pki/der.js';
import { rstMessage } from '../../src/sim/enroll-messages.js';
import { readRstrProvisioning, type Provisioning } from '../../src/sim/enroll-responses.js';
import { newTestDevice, type TestDevice } from './device.js';
import { AUDIENCE, type TestServer } from './server.js';

export interface EnrolledDevice {
  dev: TestDevice;
  prov: Provisioning;
  certPem: string;
  keyPem: string;
  entraDeviceId: string;
}

export async function enrollEntraDevice(s: TestServer, tid: string, type: 'Device' | 'Full' = 'Device'): Promise<EnrolledDevice> {
  const dev = newTestDevice();
  const entraDeviceId = dev.entraDeviceId;
  const jwt = await s.entra.mintToken({ tid, aud: AUDIENCE, deviceid: entraDeviceId, upn: 'owner@contoso.com' });
  const E = '/EnrollmentServer/Enrollment.svc';
  const r = await s.soap(
    E,
    rstMessage(
      s.publicUrl + E,
      { kind: 'entra', jwt },
      { requestType: 'Issue', tokenBase64: dev.csrBase64(), context: dev.context([['EnrollmentType', type]]) },
    ),
  );
  if (r.status !== 200) throw new Error(`enrollment failed: ${r.status}`);
  const prov = readRstrProvisioning(r.text());
  return {
    dev,
    prov,
    certPem: derToPem(Buffer.from(prov.client!.base64, 'base64'), 'CERTIFICATE'),
    keyPem: dev.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    entraDeviceId,
  };
}
