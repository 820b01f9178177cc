// The fixed device-facing paths. Windows finds the discovery service at
// https://enterpriseenrollment.<domain>/EnrollmentServer/Discovery.svc, so these never move.
export const PATHS = {
  discovery: '/EnrollmentServer/Discovery.svc',
  policy: '/EnrollmentServer/Policy.svc',
  enrollment: '/EnrollmentServer/Enrollment.svc',
  termsOfUse: '/EnrollmentServer/TermsOfUse',
  authenticate: '/EnrollmentServer/Authenticate',
  management: '/ManagementServer/MDM.svc',
} as const;

export function deviceUrls(publicUrl: string) {
  return {
    discovery: publicUrl + PATHS.discovery,
    policy: publicUrl + PATHS.policy,
    enrollment: publicUrl + PATHS.enrollment,
    termsOfUse: publicUrl + PATHS.termsOfUse,
    authenticate: publicUrl + PATHS.authenticate,
    management: publicUrl + PATHS.management,
  };
}
