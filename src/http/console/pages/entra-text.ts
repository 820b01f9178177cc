// The words of the Microsoft Azure / Entra ID pages in English and French (the French follows the
// seed documents' vocabulary: locataire, URL d'inscription, URL de correction, Validation du client
// Azure), and the admin-consent link the validation step shows.
import type { Tenant } from '../../../domain/tenant.js';
import { authorityFor } from '../../../identity/entra.js';
import type { Messages } from '../i18n.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Where a Global Administrator of the tenant grants the application admin consent: the tenant's
 * cloud's sign-in host (.com for Standard, .us for GCC High), with the application's client ID —
 * the audience that is a GUID. undefined when the tenant lists no client ID.
 */
export function consentUrl(tenant: Pick<Tenant, 'tenantId' | 'cloud' | 'audiences'>): string | undefined {
  const clientId = tenant.audiences.find((a) => GUID.test(a));
  if (!clientId) return undefined;
  return `${authorityFor(tenant)}/${encodeURIComponent(tenant.tenantId)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

export const entraMessages = {
  en: {
    title: 'Microsoft Azure / Entra ID',
    intro:
      'Connect your Microsoft Entra ID tenant so that Windows devices joined to it (Join Microsoft Entra ID, or a work account) enroll in fenestra. Every connection, change and disconnection is recorded in the audit log.',
    listTitle: 'Connected tenants',
    listCaption: 'Connected Entra ID tenants',
    none: 'No tenant is connected yet.',
    addTitle: 'Connect an account',
    addIntro: 'Choose the type of tenant, then enter its details.',
    tenantId: 'Azure tenant ID',
    tenantIdHint: 'The directory (tenant) ID, a GUID, shown in the Entra admin center under Overview.',
    type: 'Tenant type',
    standard: 'Standard',
    standardHint: 'Commercial cloud: sign-in and tokens through .com addresses (login.microsoftonline.com).',
    gccHigh: 'GCC High',
    gccHighHint: 'US Government GCC High: communication goes through .us addresses (login.microsoftonline.us), for federal and DoD needs.',
    cloudRequired: 'Choose Standard or GCC High.',
    audiences: 'Audiences',
    audiencesHint:
      'One per line: the Application ID URI of your on-premises MDM application (for example https://mdm.contoso.com) and/or its application (client) ID. Device tokens must be issued for one of them.',
    enrollmentUrl: 'Enrollment URL (optional)',
    enrollmentUrlHint: 'Where users of a device not enrolled yet are sent to enroll. Must start with https://.',
    remediationUrl: 'Remediation URL (optional)',
    remediationUrlHint: 'Where users of a non-compliant device are sent to fix it. Must start with https://.',
    connectedAt: 'Connected',
    changedAt: 'Last changed',
    connect: 'Connect the account',
    connected: 'Tenant {id} is connected. Grant the consent below.',
    alreadyConnected: 'This tenant is already connected: open it in the list to modify it.',
    tenantTitle: 'Tenant {id}',
    back: 'All tenants',
    backToTenant: 'Back to tenant {id}',
    modifyTitle: 'Modify the account',
    save: 'Save changes',
    saved: 'The tenant was changed.',
    disconnect: 'Disconnect the account',
    trailTitle: 'Audit trail',
    trailCaption: 'Audit events of tenant {id}, newest first',
    allTenantEvents: 'All tenant events in the audit log',
    validateTitle: 'Azure tenant validation',
    validateIntro: 'Tenant {id} ({cloud}) is connected. Two steps complete it.',
    step1: 'Step 1: grant consent',
    step1Text: 'Open this link, sign in as a Global Administrator of the tenant, review the permissions and click Accept:',
    step1Hint: 'If the page asks you to sign in again after you signed in, close that tab or window and come back here.',
    noClientId:
      'No consent link yet: the audiences of this tenant hold no application (client) ID. Add the client ID (a GUID) of your MDM application to the audiences with Modify the account.',
    step2: 'Step 2: validate (not available yet)',
    step2Text: 'Here you will confirm that you gave the consent, and fenestra will check it with Entra ID.',
    validateLater: 'Checking the consent with Entra ID is not available yet: it comes with the Entra integration (issue #14). Until then, nothing is checked.',
    step2Live: 'Step 2: validate',
    step2LiveText:
      'After the consent, check the connection: fenestra asks Entra ID for a token and reads the organization, the application and its Microsoft Graph permissions.',
    validateNow: 'Validate now',
    lastValidation: 'Last validation:',
    notValidated: 'Not validated yet.',
    validationOk: 'Every check passed.',
    validationFailed: 'Some checks failed: do what they say, then validate again.',
    checkOk: 'Passed',
    checkFailed: 'To fix',
    checksCaption: 'Validation checks',
    validatedOk: 'Validation passed.',
    validatedFailed: 'Validation found problems: see the checks below.',
    connectedNow: 'Meanwhile the connection works: devices of this tenant can enroll with tokens issued for its audiences.',
    disconnectTitle: 'Disconnect tenant {id}?',
    disconnectText:
      'Disconnecting tenant {id} ({cloud}) refuses new enrollments and user tokens of this tenant at once. Devices already enrolled stay managed through their certificates, unless you revoke them too.',
    revokeDevices: 'Also revoke the devices of this tenant',
    revokeDevicesHint: 'Their certificates are revoked: they can no longer reach fenestra and must enroll again.',
    disconnectConfirm: 'Disconnect {id}',
    cancel: 'Cancel',
    disconnected: 'Tenant {id} was disconnected.',
    disconnectedRevoked: 'Tenant {id} was disconnected and its devices revoked ({n}).',
  },
  fr: {
    title: 'Microsoft Azure / Entra ID',
    intro:
      "Connectez votre locataire Microsoft Entra ID pour que les appareils Windows qui le rejoignent (Rejoindre Microsoft Entra ID, ou un compte professionnel) s'inscrivent dans fenestra. Chaque connexion, modification et déconnexion est enregistrée dans le journal d'audit.",
    listTitle: 'Locataires connectés',
    listCaption: 'Locataires Entra ID connectés',
    none: "Aucun locataire n'est encore connecté.",
    addTitle: 'Connecter le compte',
    addIntro: 'Choisissez le type de locataire, puis saisissez ses informations.',
    tenantId: 'ID locataire Azure',
    tenantIdHint: "L'ID de l'annuaire (locataire), un GUID, affiché dans le centre d'administration Entra sous Vue d'ensemble.",
    type: 'Type de locataire',
    standard: 'Standard',
    standardHint: 'Cloud commercial : connexion et jetons par des URL « .com » (login.microsoftonline.com).',
    gccHigh: 'GCC High',
    gccHighHint: 'US Government GCC High : la communication passe par des URL « .us » (login.microsoftonline.us), pour les besoins fédéraux et du DoD.',
    cloudRequired: 'Choisissez Standard ou GCC High.',
    audiences: 'Audiences',
    audiencesHint:
      "Une par ligne : l'URI d'ID d'application de votre application MDM locale (par exemple https://mdm.contoso.com) et/ou son ID d'application (client). Les jetons des appareils doivent être émis pour l'une d'elles.",
    enrollmentUrl: "URL d'inscription (facultatif)",
    enrollmentUrlHint: "Les utilisateurs d'un appareil non inscrit sont dirigés vers cette URL pour s'inscrire. Elle doit commencer par https://.",
    remediationUrl: 'URL de correction (facultatif)',
    remediationUrlHint: "Les utilisateurs d'un appareil non conforme sont dirigés vers cette URL pour y remédier. Elle doit commencer par https://.",
    connectedAt: 'Connecté le',
    changedAt: 'Modifié le',
    connect: 'Connecter le compte',
    connected: 'Le locataire {id} est connecté. Donnez le consentement ci-dessous.',
    alreadyConnected: 'Ce locataire est déjà connecté : ouvrez-le dans la liste pour le modifier.',
    tenantTitle: 'Locataire {id}',
    back: 'Tous les locataires',
    backToTenant: 'Retour au locataire {id}',
    modifyTitle: 'Modifier le compte',
    save: 'Enregistrer',
    saved: 'Le locataire a été modifié.',
    disconnect: 'Déconnecter le compte',
    trailTitle: "Journal d'audit",
    trailCaption: 'Événements du locataire {id}, du plus récent au plus ancien',
    allTenantEvents: "Tous les événements des locataires dans le journal d'audit",
    validateTitle: 'Validation du client Azure',
    validateIntro: 'Le locataire {id} ({cloud}) est connecté. Deux étapes le complètent.',
    step1: 'Étape 1 : donner le consentement',
    step1Text: "Ouvrez ce lien, connectez-vous en tant qu'administrateur général du locataire, consultez les permissions, puis cliquez sur Accepter :",
    step1Hint: "Si, après la connexion, la page vous invite à vous connecter de nouveau, fermez l'onglet ou la fenêtre et revenez ici.",
    noClientId:
      "Pas encore de lien de consentement : les audiences de ce locataire ne contiennent aucun ID d'application (client). Ajoutez l'ID client (un GUID) de votre application MDM aux audiences avec Modifier le compte.",
    step2: 'Étape 2 : valider (pas encore disponible)',
    step2Text: 'Vous confirmerez ici avoir donné le consentement, et fenestra le vérifiera auprès d’Entra ID.',
    validateLater:
      "La vérification du consentement auprès d'Entra ID n'est pas encore disponible : elle arrive avec l'intégration Entra (ticket #14). D'ici là, rien n'est vérifié.",
    step2Live: 'Étape 2 : valider',
    step2LiveText:
      "Après le consentement, vérifiez la connexion : fenestra demande un jeton à Entra ID et lit l'organisation, l'application et ses permissions Microsoft Graph.",
    validateNow: 'Valider maintenant',
    lastValidation: 'Dernière validation :',
    notValidated: 'Pas encore validé.',
    validationOk: 'Toutes les vérifications sont passées.',
    validationFailed: 'Des vérifications ont échoué : faites ce qu’elles indiquent, puis validez de nouveau.',
    checkOk: 'Réussi',
    checkFailed: 'À corriger',
    checksCaption: 'Vérifications de la validation',
    validatedOk: 'Validation réussie.',
    validatedFailed: 'La validation a trouvé des problèmes : voir les vérifications ci-dessous.',
    connectedNow: "En attendant, la connexion fonctionne : les appareils de ce locataire peuvent s'inscrire avec des jetons émis pour ses audiences.",
    disconnectTitle: 'Déconnecter le locataire {id} ?',
    disconnectText:
      'Déconnecter le locataire {id} ({cloud}) refuse aussitôt les nouvelles inscriptions et les jetons utilisateur de ce locataire. Les appareils déjà inscrits restent gérés par leur certificat, sauf si vous les révoquez aussi.',
    revokeDevices: 'Révoquer aussi les appareils de ce locataire',
    revokeDevicesHint: 'Leurs certificats sont révoqués : ils ne peuvent plus joindre fenestra et doivent se réinscrire.',
    disconnectConfirm: 'Déconnecter {id}',
    cancel: 'Annuler',
    disconnected: 'Le locataire {id} a été déconnecté.',
    disconnectedRevoked: 'Le locataire {id} a été déconnecté et ses appareils révoqués ({n}).',
  },
} satisfies Messages<string>;

export type EntraKey = keyof typeof entraMessages.en;
