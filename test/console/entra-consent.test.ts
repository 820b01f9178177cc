// The admin-consent link of the tenant validation step: the tenant's cloud's sign-in host and
// the application's client ID (the audience that is a GUID); none without a client ID.
import t from 'tap';
import { consentUrl } from '../../src/http/console/pages/entra-text.js';

const tenantId = '8e9f4f6a-7a43-4d1b-9d8e-3c2b1a0f9e8d';
const clientId = '0b1c2d3e-4f50-4617-8283-94a5b6c7d8e9';

t.equal(
  consentUrl({ tenantId, cloud: 'standard', audiences: ['https://mdm.contoso.com', clientId] }),
  `https://login.microsoftonline.com/${tenantId}/adminconsent?client_id=${clientId}`,
  'Standard: .com',
);
t.equal(
  consentUrl({ tenantId, cloud: 'gcc-high', audiences: [clientId.toUpperCase()] }),
  `https://login.microsoftonline.us/${tenantId}/adminconsent?client_id=${clientId.toUpperCase()}`,
  'GCC High: .us',
);
t.equal(consentUrl({ tenantId, cloud: 'standard', audiences: ['https://mdm.contoso.com'] }), undefined, 'no client ID: no link');
