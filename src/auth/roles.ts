// The roles are defined once, with the workflow that gives them meaning.
export { ROLES, type Role } from '../../workflows/appraisal/appraisal.machine';
