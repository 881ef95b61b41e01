export const ROLES = ['investor', 'clerk', 'appraiser', 'approver', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
