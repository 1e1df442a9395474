# Per-school staff aggregates, computed in the store after the tables are loaded.
# They are published in every release, also when staff_publication = aggregates drops
# the individual (pseudonymous) staff and training records.
# Relative IRIs resolve against the deployment base; prefixes are the platform's.
INSERT {
  GRAPH <graph/staff-summary> {
    ?summary a emis:StaffSummary ;
        emis:school ?school ;
        emis:teachers ?teachers ;
        emis:teachersQualified ?qualified ;
        emis:teachersHigherPedagogical ?higherPedagogical ;
        emis:teachersPartTimeDiploma ?partTime ;
        emis:teachersHighestCategory ?highest ;
        emis:teachersTrainedRecently ?trained .
    ?school emis:staffSummary ?summary .
  }
}
WHERE {
  {
    SELECT ?school
        (COUNT(?post) AS ?teachers)
        (SUM(IF(?isQualified, 1, 0)) AS ?qualified)
        (SUM(IF(?level = <def/concept/education-level/higher-pedagogical>, 1, 0)) AS ?higherPedagogical)
        (SUM(IF(?mode IN (<def/concept/study-mode/part-time>, <def/concept/study-mode/distance>), 1, 0)) AS ?partTime)
        (SUM(IF(?category = <def/concept/qualification-category/highest>, 1, 0)) AS ?highest)
        (SUM(IF(?recent, 1, 0)) AS ?trained)
    WHERE {
      ?post a emis:StaffPost ;
          emis:school ?school ;
          emis:position <def/concept/position/teacher> .
      OPTIONAL { ?post emis:educationLevel ?level .
                 OPTIONAL { ?level emis:meetsMinimumQualification ?meets } }
      OPTIONAL { ?post emis:studyMode ?mode }
      OPTIONAL { ?post emis:qualificationCategory ?category }
      OPTIONAL {
        SELECT ?post (COUNT(?course) > 0 AS ?hasRecent) WHERE {
          ?course emis:staff ?post ; emis:completionDate ?date .
          FILTER(YEAR(?date) >= YEAR(NOW()) - 2)
        } GROUP BY ?post
      }
      BIND(COALESCE(?meets, false) AS ?isQualified)
      BIND(COALESCE(?hasRecent, false) AS ?recent)
    }
    GROUP BY ?school
  }
  ?school emis:schoolCode ?code .
  BIND(IRI(CONCAT("id/staff-summary/", ?code)) AS ?summary)
}
