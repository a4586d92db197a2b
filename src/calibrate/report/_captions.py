"""The report's plain-language caption of each figure, by the display that draws it.

A figure's caption is ``CAPTIONS[type(display).__name__]``, followed by a
note on the clock or the cap where the report needs one (see
:mod:`calibrate.report._figures`).
"""

from __future__ import annotations

__all__ = ["CAPTIONS"]

CAPTIONS: dict[str, str] = {
    "PointsVsDaysDisplay": (
        "Where points break: every ticket's actual working days against its story points, "
        "one panel per area (log scale; dots are spread sideways so they do not hide each "
        "other). The black line is the typical engineer's median and the grey band the range "
        "that holds 80% of tickets for a new team member; the dotted line is the cap named in "
        "the legend (tickets above it took longer), and hollow triangles are tickets still "
        "open (they will take at least that long)."),
    "OverrunMapDisplay": (
        "The chance that a ticket takes longer, in working days, than its points, per engineer "
        "and area. Darker cells break the \"N points within N days\" rule more often (bold: "
        "more often than the team's confidence allows); hatched grey cells rest on fewer than "
        "a handful of finished tickets and lean on the team's numbers."),
    "MultipliersDisplay": (
        "How much longer (above 1) or shorter (below 1) each engineer's tickets take than the "
        "team typical, overall and per area, with the range that holds the true value 80% of "
        "the time. Crosses are the engineer's own raw averages: the gap to the dot shows how "
        "far a small sample was pulled toward the team. These are planning aids reflecting "
        "ticket mix and context, not a ranking of people."),
    "RecommendedSizesDisplay": (
        "The largest ticket, in story points, each engineer can take on in each area and still "
        "finish within the cap at the stated confidence. Red cells are below the team's "
        "reference size, the points of its rule (split such tickets, or plan more days); blue "
        "cells have room to spare."),
    "ElasticityDisplay": (
        "How working days grow with story points, per area (both axes on log scales). If days "
        "were proportional to points the dots would follow the dashed line; a flatter fitted "
        "line (elasticity below 1) means big tickets take less than their points suggest and "
        "small ones more."),
    "CalibrationDisplay": (
        "Can the predictions be trusted? Left: the share of later tickets that fell inside the "
        "50/80/90% ranges predicted from earlier history; on the diagonal is honest. Right: "
        "where actual durations fell within the predicted distribution; a flat profile at the "
        "dotted line is well calibrated, a slope or a U shape means biased or over-confident."),
    "DriftDisplay": (
        "Each engineer's multiplier fitted separately in successive periods, with its 80% "
        "range. A falling line is someone getting faster (for example a new hire ramping up, "
        "unless declared start dates already account for it); overlapping ranges mean no "
        "real change."),
    "DataQualityDisplay": (
        "What went into the model. Left: the export's rows that were kept and those left out, "
        "by reason. Right: tickets per engineer and area; hatched cells have fewer tickets than "
        "the report's minimum, so their estimates lean on the rest of the team."),
    "ReassignmentDisplay": (
        "What a late hand-over costs: for the plan's tickets whose working days depend most "
        "on who does them, how many more (red) or fewer (blue) working days each would be "
        "expected to take if it moved to each engineer, compared with the engineer the plan "
        "gives it (outlined, \"now\"). An unassigned ticket is compared with a new team member. "
        "A large red number on a ticket is one to keep with its engineer."),
    "SkillGapsDisplay": (
        "Where the team is thin. Left: how many of the team are clearly faster than the "
        "team's typical engineer in each area (their whole 80% range below 1); an area with "
        "no one is shaded, a skill gap. Right: the share of the area's recent tickets that "
        "one person did, named: a high share is a key-person risk. Below, when shown: the "
        "expected working days of a typical backlog mix for the team as it is and with one "
        "more engineer of each profile, sharing the work out fairly."),
    "DeclaredVsMeasuredDisplay": (
        "Declared skill against the tickets: for each engineer and area with a declared "
        "level, the measured multiplier (dot, with the range that holds it 90% of the time) "
        "and what the declared level predicts (hollow diamond; dashed lines mark each level "
        "of the area). Coloured rows are where the tickets clearly disagree with the "
        "declaration, faster or slower; about one in ten honest declarations is flagged by "
        "chance."),
    "RampUpDisplay": (
        "How much longer a new team member's tickets take, by weeks since they joined, with "
        "the 90% band: the line falls to 1 as they reach the team's usual speed. The diamond "
        "marks when the remaining slowdown drops under 10%, with its range; dots, when shown, "
        "are new members' tickets against what they settle at."),
}
